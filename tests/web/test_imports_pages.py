"""The upload pages: what is accepted, the run page, confirming, the issues download, job polling.

The import services are replaced by small fakes at module level (jobs find their
function by dotted path), so these tests cover the pages, not the importer.
"""
from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest
from flask import current_app

from hmis.extensions import db
from hmis.interchange import services
from hmis.models import ImportIssue, ImportRun, Job

HOSTILE = "<script>alert(1)</script>"


def body(response) -> str:
    return response.get_data(as_text=True)


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Export.csv", "ExportID\n1\n")
    return buffer.getvalue()


def upload(client, data: bytes, filename: str):
    return client.post("/imports/new", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


# -- fakes standing in for hmis.interchange.services --------------------------------------

def fake_create_import_run(path: Path, filename: str, account_id: int | None = None) -> ImportRun:
    kept = Path(current_app.instance_path) / "uploads" / "kept"
    kept.mkdir(parents=True, exist_ok=True)
    target = kept / path.name
    shutil.move(str(path), target)
    run = ImportRun(filename=filename, stored_path=str(target), account_id=account_id)
    db.session.add(run)
    db.session.flush()
    return run


def fake_validate_import(run_id: int, job_id: str | None = None) -> dict:
    run = db.session.get(ImportRun, run_id)
    run.status = "validated"
    run.csv_version = "2026"
    run.summary = {"Client.csv": {"rows": 12, "warnings": 1, "rejected": 1},
                   "Enrollment.csv": {"rows": 20, "extra_key": "x"}}
    run.warning_count = 1
    db.session.add_all([
        ImportIssue(import_run_id=run.id, severity="warning", file="Client.csv", row=3, column="DOB",
                    value="1890-01-01", rule="dob_too_old", element="3.03 Date of Birth",
                    message="Date of birth is more than 110 years ago."),
        ImportIssue(import_run_id=run.id, severity="rejected_row", file="Client.csv", row=7, column="PersonalID",
                    value=HOSTILE, rule="id_too_long", message="PersonalID is longer than 32 characters."),
    ])
    db.session.commit()
    return {"issues": 2}


def fake_run_import(run_id: int, job_id: str | None = None) -> dict:
    run = db.session.get(ImportRun, run_id)
    run.status = "imported"
    db.session.commit()
    return {"imported": True}


def fake_issues_csv(run_id: int):
    yield "severity,file,row\r\n"
    for issue in db.session.scalars(db.select(ImportIssue).where(ImportIssue.import_run_id == run_id)
                                    .order_by(ImportIssue.id)):
        yield f"{issue.severity},{issue.file},{issue.row}\r\n"


@pytest.fixture
def fake_services(monkeypatch):
    monkeypatch.setattr(services, "create_import_run", fake_create_import_run)
    monkeypatch.setattr(services, "validate_import", fake_validate_import)
    monkeypatch.setattr(services, "run_import", fake_run_import)
    monkeypatch.setattr(services, "issues_csv", fake_issues_csv)


# -- upload ------------------------------------------------------------------------------

def test_upload_form(signed_in):
    html = body(signed_in.get("/imports/new"))
    assert 'enctype="multipart/form-data"' in html
    assert 'accept=".zip,application/zip"' in html
    assert "Nothing is written yet" in html


def test_upload_rejects_a_non_zip_name(signed_in, fake_services):
    response = upload(signed_in, b"PersonalID,FirstName\n1,Ada\n", "Client.csv")
    assert response.status_code == 400
    assert "Only .zip files can be uploaded" in body(response)
    assert db.session.scalar(db.select(db.func.count(ImportRun.id))) == 0


def test_upload_rejects_a_renamed_file_that_is_not_a_zip(signed_in, fake_services):
    response = upload(signed_in, b"%PDF-1.7 not a zip", "export.zip")
    assert response.status_code == 400
    assert "Only .zip files can be uploaded" in body(response)
    assert db.session.scalar(db.select(db.func.count(ImportRun.id))) == 0
    assert not list((Path(current_app.instance_path) / "uploads" / "incoming").glob("*"))


def test_upload_without_a_file(signed_in):
    response = signed_in.post("/imports/new", data={}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose a .zip file to upload." in body(response)


def test_too_large_upload_gets_a_clear_message(app, signed_in):
    # Kept under the test client's 500 KB in-memory limit, so no temp file is left open.
    app.config["MAX_CONTENT_LENGTH"] = 100 * 1024
    response = upload(signed_in, b"PK\x03\x04" + b"0" * (200 * 1024), "big.zip")
    assert response.status_code == 413
    html = body(response)
    assert "larger than the 100 KB upload limit" in html
    assert "<form" in html  # the upload form is shown again


def test_upload_stores_checks_and_shows_the_run(signed_in, fake_services):
    # Some browsers send a folder part; only the file name is kept. (Werkzeug 3.1.9
    # drops backslashes from multipart names itself, so the folder here uses "/".)
    response = upload(signed_in, zip_bytes(), "exports/2026/agency-export.zip")
    assert response.status_code == 302
    run = db.session.scalar(db.select(ImportRun))
    assert response.headers["Location"] == f"/imports/{run.id}"
    assert run.filename == "agency-export.zip"
    assert Path(run.stored_path).read_bytes()[:4] == b"PK\x03\x04"
    assert not list((Path(current_app.instance_path) / "uploads" / "incoming").glob("*"))
    job = db.session.get(Job, run.job_id)
    assert job.kind == "import-validate" and job.status == "finished", (job.error, job.message)
    assert job.account_id == run.account_id

    html = body(signed_in.get(response.headers["Location"]))
    assert "agency-export.zip was uploaded" in html
    assert "Ready to import" in html
    # the per-file summary shows the counts the importer recorded, as what would happen
    assert "Client.csv" in html and "Enrollment.csv" in html and "Will be skipped" in html
    assert "<strong>1</strong> Warning" in html and "<strong>1</strong> Rejected row" in html
    assert "dob_too_old" in html and "Date of birth is more than 110 years ago." in html
    assert HOSTILE not in html and "&lt;script&gt;" in html
    assert f'action="/imports/{run.id}/confirm"' in html
    assert 'data-confirm="Import agency-export.zip into the HMIS now?"' in html
    assert f'href="/imports/{run.id}/issues.csv"' in html

    listing = body(signed_in.get("/imports/"))
    assert "agency-export.zip" in listing and "Ready to import" in listing


def test_issue_filters_and_htmx_partial(signed_in, fake_services):
    upload(signed_in, zip_bytes(), "export.zip")
    run = db.session.scalar(db.select(ImportRun))
    html = body(signed_in.get(f"/imports/{run.id}?severity=warning"))
    assert "dob_too_old" in html and "id_too_long</code></span>" not in html
    partial = body(signed_in.get(f"/imports/{run.id}?file=Client.csv&severity=rejected_row",
                                 headers={"HX-Request": "true"}))
    assert "<html" not in partial
    assert "1 issue with these filters" in partial and "id_too_long" in partial


def test_confirm_starts_the_import(signed_in, fake_services):
    upload(signed_in, zip_bytes(), "export.zip")
    run = db.session.scalar(db.select(ImportRun))
    response = signed_in.post(f"/imports/{run.id}/confirm")
    assert response.status_code == 302
    db.session.expire_all()
    run = db.session.get(ImportRun, run.id)
    assert run.status == "imported"
    assert db.session.get(Job, run.job_id).kind == "import-run"
    html = body(signed_in.get(f"/imports/{run.id}"))
    assert "The import has started" in html
    assert f'action="/imports/{run.id}/confirm"' not in html  # no second confirm once imported


def test_confirm_refuses_a_run_that_is_not_validated(signed_in, fake_services):
    run = ImportRun(filename="x.zip", status="rejected", error_count=3)
    db.session.add(run)
    db.session.commit()
    response = signed_in.post(f"/imports/{run.id}/confirm", follow_redirects=True)
    assert "cannot be confirmed" in body(response)
    assert "cannot be imported" in body(response)
    assert db.session.scalar(db.select(db.func.count(Job.id))) == 0


def test_issues_csv_download(signed_in, fake_services):
    upload(signed_in, zip_bytes(), "my export (1).zip")
    run = db.session.scalar(db.select(ImportRun))
    response = signed_in.get(f"/imports/{run.id}/issues.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and f"import-{run.id}-my_export__1_-issues.csv" in disposition
    assert body(response).splitlines() == ["severity,file,row", "warning,Client.csv,3", "rejected_row,Client.csv,7"]


def test_run_page_polls_a_running_job(signed_in):
    job = Job(id="j" * 32, kind="import-validate", title="Check export.zip", status="running", progress=40,
              message="Client.csv: 4,000 rows")
    run = ImportRun(filename="export.zip", job_id=job.id)
    db.session.add_all([job, run])
    db.session.commit()
    html = body(signed_in.get(f"/imports/{run.id}"))
    assert f'hx-get="/jobs/{job.id}"' in html and 'hx-trigger="every 1s"' in html
    assert "Client.csv: 4,000 rows" in html


# -- /jobs/<id> --------------------------------------------------------------------------

def test_job_status_keeps_polling_while_running(signed_in):
    db.session.add(Job(id="a" * 32, kind="k", title="Working", status="queued"))
    db.session.commit()
    response = signed_in.get("/jobs/" + "a" * 32, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'hx-trigger="every 1s"' in body(response)
    assert "HX-Refresh" not in response.headers


@pytest.mark.parametrize("status", ["finished", "failed"])
def test_job_status_stops_polling_and_refreshes_when_done(signed_in, status):
    db.session.add(Job(id="b" * 32, kind="k", title="Working", status=status, progress=100,
                       error="ValueError: broken" if status == "failed" else None))
    db.session.commit()
    response = signed_in.get("/jobs/" + "b" * 32, headers={"HX-Request": "true"})
    html = body(response)
    assert "hx-trigger" not in html and "hx-get" not in html
    assert response.headers["HX-Refresh"] == "true"
    if status == "failed":
        assert "ValueError: broken" in html


def test_job_status_as_json(signed_in):
    db.session.add(Job(id="c" * 32, kind="k", title="Working", status="running", progress=30))
    db.session.commit()
    response = signed_in.get("/jobs/" + "c" * 32, headers={"Accept": "application/json"})
    assert response.is_json
    assert response.get_json()["status"] == "running" and response.get_json()["progress"] == 30
    assert signed_in.get("/jobs/nope", headers={"Accept": "application/json"}).status_code == 404


def test_job_status_only_for_who_started_it_or_a_full_access_role(app, client, make_account):
    """A job's result can hold client data: another agency's case manager gets a 404."""
    owner = make_account("owner@example.org", role="case_manager")
    make_account("other@example.org", role="case_manager")
    db.session.add_all([Job(id="d" * 32, kind="k", title="Mine", status="finished", account_id=owner.id,
                            result={"clients": 3}),
                        Job(id="e" * 32, kind="k", title="System", status="finished")])
    db.session.commit()

    def sign_in_as(email):
        client.post("/sign-out")
        response = client.post("/sign-in", data={"email": email, "password": "correct horse battery"})
        assert response.status_code in (302, 303)

    json = {"Accept": "application/json"}
    sign_in_as("other@example.org")
    assert client.get("/jobs/" + "d" * 32, headers=json).status_code == 404
    assert client.get("/jobs/" + "e" * 32, headers=json).status_code == 404
    sign_in_as("owner@example.org")
    assert client.get("/jobs/" + "d" * 32, headers=json).get_json()["result"] == {"clients": 3}
    make_account("lead@example.org", role="hmis_lead")
    sign_in_as("lead@example.org")
    assert client.get("/jobs/" + "e" * 32, headers=json).status_code == 200
