"""The export pages: the form and its checks, a real export run inline, the download and its guards."""
from __future__ import annotations

import csv
import io
import uuid
import zipfile
from pathlib import Path

import pytest
from flask import current_app

from hmis.extensions import db
from hmis.hud import SPEC
from hmis.interchange.importer import import_export
from hmis.models import Job

from ..interchange.builders import base_records, write_export

HOSTILE = "<script>alert(1)</script>"


def body(response) -> str:
    return response.get_data(as_text=True)


def export_jobs() -> list[Job]:
    return db.session.scalars(db.select(Job).where(Job.kind == "export-csv")).all()


def exports_folder() -> Path:
    folder = Path(current_app.instance_path) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def read_zip(data: bytes) -> tuple[list[str], dict[str, list[dict[str, str]]]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        return names, {name: list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"))))
                       for name in names}


@pytest.fixture
def loaded(app, tmp_path):
    records = base_records()
    records["Project"].append({**records["Project"][0], "ProjectID": "P2", "ProjectName": HOSTILE})
    assert import_export(write_export(tmp_path / "in.zip", records)).status == "imported"
    return records


def finished_job(result: dict | None, kind: str = "export-csv") -> Job:
    job = Job(id=uuid.uuid4().hex, kind=kind, title="Crafted", status="finished", result=result)
    db.session.add(job)
    db.session.commit()
    return job


# -- access ------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/exports/", "/exports/abc", "/exports/abc/download"])
def test_sign_in_required(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_posting_without_sign_in_starts_nothing(client):
    response = client.post("/exports/", data={"start": "2025-10-01", "end": "2026-09-30"})
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert export_jobs() == []


# -- the form ------------------------------------------------------------------------------

def test_form_lists_active_projects_escaped(signed_in, loaded):
    html = body(signed_in.get("/exports/"))
    assert "Harbor Shelter (P1)" in html
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; (P2)" in html
    assert 'type="date"' in html and 'multiple' in html
    assert "Hash names and SSN (HUD&#39;s hashed variant)" in html
    assert "No exports have been made yet." in html
    assert 'href="/exports/"' in html  # the nav link


@pytest.mark.parametrize("data, field_error", [
    ({"start": "2026-09-30", "end": "2025-10-01"}, "The end date must be on or after the start date."),
    ({"start": "2025-10-01"}, "Give an end date too, or leave both dates empty"),
    ({"end": "2026-09-30"}, "Give a start date too, or leave both dates empty"),
    ({"start": "1899-01-01", "end": "2026-09-30"}, "Enter a date between 1990 and 2100."),
    ({"start": "01/10/2025", "end": "2026-09-30"}, "Enter the date as YYYY-MM-DD"),
    ({"source_id": "XX501"}, "Enter the CoC code as two letters, a dash and three digits"),
    ({"source_id": "12-ABC"}, "Enter the CoC code as two letters, a dash and three digits"),
    ({"projects": ["NOPE"]}, "&#39;NOPE&#39; is not an active project in this HMIS"),
])
def test_form_errors_are_shown_and_nothing_is_enqueued(signed_in, loaded, data, field_error):
    response = signed_in.post("/exports/", data=data)
    assert response.status_code == 400
    html = body(response)
    assert field_error in html
    assert 'class="field__error"' in html and 'aria-invalid="true"' in html
    assert "The export was not started." in html
    assert export_jobs() == []
    assert not list(exports_folder().glob("*.zip"))


def test_hostile_project_id_posted_is_escaped_in_the_error(signed_in, loaded):
    html = body(signed_in.post("/exports/", data={"projects": [HOSTILE]}))
    assert HOSTILE not in html and "not an active project" in html
    assert export_jobs() == []


# -- a real export ------------------------------------------------------------------------------

def test_valid_export_runs_and_downloads(signed_in, loaded):
    response = signed_in.post("/exports/", data={"start": "2025-10-01", "end": "2026-09-30",
                                                 "projects": ["P1"], "source_id": "xx-501"})
    assert response.status_code == 302
    [job] = export_jobs()
    assert response.headers["Location"] == f"/exports/{job.id}"
    assert job.status == "finished", (job.error, job.message)
    assert job.account_id is not None
    result = job.result
    assert result["filename"] == "hmis-csv-2025-10-01-2026-09-30.zip"
    assert result["rows"]["Client.csv"] == 2 and result["rows"]["Export.csv"] == 1
    assert result["parameters"] == {"start": "2025-10-01", "end": "2026-09-30", "project_ids": ["P1"],
                                    "hashed": False, "source_id": "XX-501", "account_id": job.account_id}
    stored = Path(result["path"])
    assert stored.parent == exports_folder() and stored.exists()

    html = body(signed_in.get(response.headers["Location"]))
    assert "The export has started." in html and "Export ready" in html
    assert "<th scope=\"row\">Client.csv</th><td class=\"num\">2</td>" in html
    assert "<th scope=\"row\">Enrollment.csv</th><td class=\"num\">2</td>" in html
    assert f'href="/exports/{job.id}/download"' in html
    assert 'hx-trigger="every 1s"' not in html  # finished: no polling

    listing = body(signed_in.get("/exports/"))
    assert "hmis-csv-2025-10-01-2026-09-30.zip" in listing and "Test Staff" in listing
    assert "2025-10-01 to 2026-09-30" in listing and "P1" in listing and "XX-501" in listing

    download = signed_in.get(f"/exports/{job.id}/download")
    assert download.status_code == 200
    assert download.mimetype == "application/zip"
    assert 'attachment; filename=hmis-csv-2025-10-01-2026-09-30.zip' in download.headers["Content-Disposition"]
    names, contents = read_zip(download.data)
    download.close()
    assert len(names) == 24 and names == [f.filename for f in SPEC]
    assert sorted((r["PersonalID"], r["FirstName"]) for r in contents["Client.csv"]) == \
        [("C1", "Maria"), ("C2", "Leo")]
    assert [r["ProjectID"] for r in contents["Project.csv"]] == ["P1"]
    assert contents["Export.csv"][0]["SourceID"] == "XX-501"


def test_hashed_export_hides_names(signed_in, loaded):
    response = signed_in.post("/exports/", data={"hashed": "y"})
    assert response.status_code == 302
    [job] = export_jobs()
    assert job.status == "finished", (job.error, job.message)
    assert job.result["filename"].startswith("hmis-csv-all-")
    download = signed_in.get(f"/exports/{job.id}/download")
    names, contents = read_zip(download.data)
    download.close()
    text = "".join(str(rows) for rows in contents.values())
    assert "Maria" not in text and "Lopez" not in text and "123456789" not in text
    client = next(r for r in contents["Client.csv"] if r["PersonalID"] == "C1")
    assert len(client["FirstName"]) == 64 and contents["Export.csv"][0]["HashStatus"] == "4"


def test_a_running_export_polls(signed_in):
    job = Job(id=uuid.uuid4().hex, kind="export-csv", title="Export all records", status="running")
    db.session.add(job)
    db.session.commit()
    html = body(signed_in.get(f"/exports/{job.id}"))
    assert f'hx-get="/jobs/{job.id}"' in html and 'hx-trigger="every 1s"' in html
    assert "Writing the export" in html
    assert signed_in.get(f"/exports/{job.id}/download").status_code == 404


# -- downloads that must not happen ------------------------------------------------------------

def test_unknown_job_is_404(signed_in):
    assert signed_in.get("/exports/nope").status_code == 404
    assert signed_in.get("/exports/nope/download").status_code == 404


def test_download_of_a_non_export_job_is_404(signed_in):
    zip_path = exports_folder() / f"{uuid.uuid4().hex}.zip"
    zip_path.write_bytes(b"PK\x03\x04")
    job = finished_job({"path": str(zip_path), "filename": "x.zip"}, kind="import-validate")
    assert signed_in.get(f"/exports/{job.id}").status_code == 404
    assert signed_in.get(f"/exports/{job.id}/download").status_code == 404


def test_download_of_a_missing_file_is_404(signed_in):
    job = finished_job({"path": str(exports_folder() / "gone.zip"), "filename": "gone.zip"})
    assert signed_in.get(f"/exports/{job.id}/download").status_code == 404
    assert "no longer on the server" in body(signed_in.get(f"/exports/{job.id}"))


@pytest.mark.parametrize("how", ["absolute", "dotdot", "symlink", "not-a-zip"])
def test_stored_path_outside_the_exports_folder_is_404(signed_in, tmp_path, how):
    secret = tmp_path / "secret.zip"
    secret.write_bytes(b"PK\x03\x04 secret")
    folder = exports_folder()
    if how == "absolute":
        path = str(secret)
    elif how == "dotdot":
        path = str(folder / ".." / "secret.zip")  # the instance folder is tmp_path in tests
        assert Path(path).resolve() == secret.resolve()
    elif how == "symlink":
        link = folder / "link.zip"
        link.symlink_to(secret)
        path = str(link)
    else:
        other = folder / "notes.txt"
        other.write_text("not an export")
        path = str(other)
    job = finished_job({"path": path, "filename": "secret.zip"})
    response = signed_in.get(f"/exports/{job.id}/download")
    assert response.status_code == 404
    assert b"secret" not in response.data
