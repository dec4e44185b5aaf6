"""The audit log: what each hook records, the page and its filters, the CSV, and append-only storage."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from hmis.access import audit
from hmis.extensions import db
from hmis.models import AuditEvent, ImportRun, Job

from ..web import factories
from ..web.test_export_pages import export_jobs, loaded  # noqa: F401 - loaded is a fixture
from ..web.test_imports_pages import fake_services, upload, zip_bytes  # noqa: F401 - fake_services is a fixture

PASSWORD = "correct horse battery"
LEAD = "staff@example.org"
HOSTILE = "<script>alert(1)</script>"


def body(response) -> str:
    return response.get_data(as_text=True)


def events(action: str | None = None) -> list[AuditEvent]:
    db.session.expire_all()
    statement = db.select(AuditEvent).order_by(AuditEvent.id)
    if action:
        statement = statement.where(AuditEvent.action == action)
    return db.session.scalars(statement).all()


def sign_in_as(client, make_account, email: str, role: str):
    make_account(email=email, role=role)
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


# -- sign-in, sign-out -------------------------------------------------------------------

def test_sign_in_is_recorded(client, make_account):
    account = make_account()
    client.post("/sign-in", data={"email": LEAD, "password": PASSWORD},
                headers={"User-Agent": "TestBrowser/1.0"})
    [event] = events()
    assert event.action == "sign_in"
    assert event.account_id == account.id and event.account_email == LEAD
    assert event.subject_type == "account" and event.subject_id == str(account.id)
    assert event.user_agent == "TestBrowser/1.0" and event.ip == "127.0.0.1"
    assert event.occurred_dt is not None and abs(event.occurred_dt - datetime.utcnow()) < timedelta(minutes=5)


def test_failed_sign_in_records_the_email_never_the_password(client, make_account):
    make_account()
    secret = "wrong-but-secret-guess"
    response = client.post("/sign-in", data={"email": "  Staff@Example.org ", "password": secret})
    assert response.status_code == 401
    [event] = events()
    assert event.action == "sign_in_failed"
    assert event.account_id is None
    assert event.account_email == LEAD and event.details == {"email": LEAD}
    stored = json.dumps([event.account_email, event.details, event.user_agent, event.subject_id, event.action])
    assert secret not in stored


def test_failed_sign_in_for_an_unknown_email(client):
    client.post("/sign-in", data={"email": "nobody@example.org", "password": PASSWORD})
    [event] = events()
    assert event.action == "sign_in_failed" and event.details == {"email": "nobody@example.org"}
    assert PASSWORD not in json.dumps(event.details)


def test_sign_out_is_recorded(signed_in):
    account_id = events("sign_in")[0].account_id
    signed_in.post("/sign-out")
    [event] = events("sign_out")
    assert event.account_id == account_id and event.account_email == LEAD


def test_sign_out_without_a_session_records_nothing(client):
    client.post("/sign-out")
    assert events() == []


# -- client view ---------------------------------------------------------------------------

def test_client_view_is_recorded(signed_in):
    source = factories.data_source()
    person = factories.client(source, "P1", "Ada", "Lovelace")
    db.session.commit()
    assert signed_in.get(f"/clients/{person.id}").status_code == 200
    [event] = events("client.view")
    assert event.subject_type == "client" and event.subject_id == str(person.id)
    assert event.account_email == LEAD and event.account_id == events("sign_in")[0].account_id
    signed_in.get("/clients")  # the list is not a record view
    assert len(events("client.view")) == 1


def test_missing_client_records_nothing(signed_in):
    assert signed_in.get("/clients/999").status_code == 404
    assert events("client.view") == []


# -- imports and exports ---------------------------------------------------------------------

def test_import_upload_confirm_and_issues_download_are_recorded(signed_in, fake_services):  # noqa: F811
    assert upload(signed_in, zip_bytes(), "agency-export.zip").status_code == 302
    run = db.session.scalar(db.select(ImportRun))
    [uploaded] = events("import.upload")
    assert (uploaded.subject_type, uploaded.subject_id) == ("import_run", str(run.id))
    assert uploaded.details == {"filename": "agency-export.zip"} and uploaded.account_email == LEAD

    assert signed_in.post(f"/imports/{run.id}/confirm").status_code == 302
    [confirmed] = events("import.confirm")
    assert (confirmed.subject_type, confirmed.subject_id) == ("import_run", str(run.id))

    response = signed_in.get(f"/imports/{run.id}/issues.csv")
    assert response.status_code == 200
    response.close()
    [downloaded] = events("import.issues_download")
    assert (downloaded.subject_type, downloaded.subject_id) == ("import_run", str(run.id))
    assert downloaded.account_id == uploaded.account_id is not None


def test_export_request_and_download_are_recorded(signed_in, loaded):  # noqa: F811
    response = signed_in.post("/exports/", data={"start": "2025-10-01", "end": "2026-09-30", "projects": ["P1"]})
    assert response.status_code == 302
    [job] = export_jobs()
    [requested] = events("export.request")
    assert (requested.subject_type, requested.subject_id) == ("job", job.id)
    assert requested.details == {"start": "2025-10-01", "end": "2026-09-30", "projects": ["P1"], "hashed": False,
                                 "source_id": None}
    assert requested.account_email == LEAD

    download = signed_in.get(f"/exports/{job.id}/download")
    assert download.status_code == 200
    download.close()
    [downloaded] = events("export.download")
    assert (downloaded.subject_type, downloaded.subject_id) == ("job", job.id)
    assert downloaded.details == {"filename": "hmis-csv-2025-10-01-2026-09-30.zip"}


def test_a_refused_download_records_nothing(signed_in):
    job = Job(id="j1", kind="export-csv", title="t", status="finished", result={"path": "/etc/passwd"})
    db.session.add(job)
    db.session.commit()
    assert signed_in.get("/exports/j1/download").status_code == 404
    assert events("export.download") == []


# -- the API ---------------------------------------------------------------------------------

def test_record_outside_a_request(app):
    event = audit.record("record.update", subject_type="client", subject_id=7,
                         details=audit.changes({"first_name": "Ada", "dob": None, "veteran": 0},
                                               {"first_name": "Ada", "dob": "1980-01-02", "veteran": 1}))
    db.session.commit()
    [stored] = events()
    assert stored is event and stored.account_id is None and stored.ip is None
    assert stored.subject_id == "7"
    assert stored.details == {"before": {"dob": None, "veteran": 0}, "after": {"dob": "1980-01-02", "veteran": 1}}


def test_changes_for_create_and_delete():
    assert audit.changes(None, {"a": 1}) == {"before": {}, "after": {"a": 1}}
    assert audit.changes({"a": 1}, None) == {"before": {"a": 1}, "after": {}}
    assert audit.changes({"a": 1, "b": 2}, {"a": 1, "b": 2}) == {"before": {}, "after": {}}


def test_details_never_keep_passwords_and_become_plain_json(app):
    from datetime import date

    audit.record("record.create", details={"password": "x", "nested": {"new_password": "y", "ok": date(2024, 1, 2)},
                                           "csrf_token": "z"})
    db.session.commit()
    assert events()[0].details == {"nested": {"ok": "2024-01-02"}}


# -- append-only -----------------------------------------------------------------------------

@pytest.mark.parametrize("statement", ["UPDATE audit_event SET action = 'changed'", "DELETE FROM audit_event"])
def test_events_cannot_be_changed_or_removed(app, statement):
    audit.record("sign_in_failed", details={"email": "a@example.org"})
    db.session.commit()
    with pytest.raises(DatabaseError):
        db.session.execute(text(statement))
        db.session.commit()
    db.session.rollback()
    [event] = events()
    assert event.action == "sign_in_failed"


def test_orm_changes_are_refused_too(app):
    event = audit.record("sign_in_failed")
    db.session.commit()
    event.action = "sign_in"
    with pytest.raises(DatabaseError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(DatabaseError):
        db.session.commit()
    db.session.rollback()
    assert [e.action for e in events()] == ["sign_in_failed"]


# -- the page --------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["case_manager", "intake", "analyst", "agency_admin"])
def test_audit_page_needs_an_audit_role(client, make_account, role):
    sign_in_as(client, make_account, "cm@example.org", role)
    assert client.get("/audit").status_code == 403
    assert client.get("/audit/events.csv").status_code == 403
    assert ">Audit</a>" not in body(client.get("/"))
    assert events("audit.export") == []


@pytest.mark.parametrize("role", ["hmis_lead", "system_admin", "auditor"])
def test_audit_page_for_audit_roles(client, make_account, role):
    sign_in_as(client, make_account, "lead@example.org", role)
    response = client.get("/audit")
    assert response.status_code == 200
    html = body(response)
    assert "Audit log" in html and "sign_in" in html and "lead@example.org" in html
    assert 'href="/audit"' in body(client.get("/"))


def test_audit_page_needs_sign_in(client):
    assert client.get("/audit").status_code == 302
    assert client.get("/audit/events.csv").status_code == 302


def test_page_has_no_edit_or_delete_controls(signed_in):
    html = body(signed_in.get("/audit"))
    assert 'method="post"' not in html.split('id="audit-results"')[1]
    assert "Delete" not in html and "Edit" not in html
    for method in ("post", "put", "patch", "delete"):
        assert getattr(signed_in, method)("/audit").status_code == 405


def seed_events():
    old = AuditEvent(occurred_dt=datetime(2024, 1, 15, 10, 0), action="client.view", subject_type="client",
                     subject_id="42", account_email="ana@example.org")
    other = AuditEvent(occurred_dt=datetime(2024, 3, 1, 9, 0), action="export.request", subject_type="job",
                       subject_id="abc", account_email="ben@example.org", details={"hashed": True})
    db.session.add_all([old, other])
    db.session.commit()


@pytest.mark.parametrize("query, expected", [
    ("action=client.view", {"client.view"}),
    ("account=BEN@", {"export.request"}),
    ("account=example.org", {"client.view", "export.request", "sign_in"}),
    ("subject_type=client&subject_id=42", {"client.view"}),
    ("subject_type=client&subject_id=43", set()),
    ("from=2024-01-01&to=2024-01-15", {"client.view"}),
    ("from=2024-01-16&to=2024-12-31", {"export.request"}),
    ("to=not-a-date", {"client.view", "export.request", "sign_in"}),
])
def test_filters(signed_in, query, expected):
    seed_events()
    html = body(signed_in.get(f"/audit?{query}", headers={"HX-Request": "true"}))
    assert "<html" not in html  # the rows partial only
    shown = {action for action in ("client.view", "export.request", "sign_in") if f"<code>{action}</code>" in html}
    assert shown == expected


def test_newest_first_and_paged(app, signed_in):
    app.config["PAGE_SIZE"] = 2
    seed_events()
    html = body(signed_in.get("/audit"))
    assert html.index("<code>sign_in</code>") < html.index("<code>export.request</code>")
    assert "<code>client.view</code>" not in html
    assert "1–2 of 3 events" in html
    page2 = body(signed_in.get("/audit?page=2", headers={"HX-Request": "true"}))
    assert "<code>client.view</code>" in page2


def test_hostile_strings_are_escaped(client, make_account):
    make_account()
    client.post("/sign-in", data={"email": "x@example.org", "password": "nope nope nope"},
                headers={"User-Agent": f"Agent {HOSTILE}"})
    audit.record("record.update", subject_type="client", subject_id=HOSTILE,
                 details={"before": {"first_name": HOSTILE}, "after": {"first_name": "Ana"}})
    db.session.commit()
    client.post("/sign-in", data={"email": LEAD, "password": PASSWORD})
    html = body(client.get("/audit"))
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# -- CSV -------------------------------------------------------------------------------------

def read_csv(response) -> list[dict[str, str]]:
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="audit-')
    return list(csv.DictReader(io.StringIO(body(response))))


def test_csv_has_the_filtered_events_and_is_formula_safe(signed_in):
    seed_events()
    audit.record("record.update", subject_type="client", subject_id="=HYPERLINK(\"http://evil\")",
                 email="@SUM(1+1)", details={"after": {"first_name": "=cmd|' /C calc'!A0"}})
    db.session.commit()
    rows = read_csv(signed_in.get("/audit/events.csv"))
    # The download itself is recorded first, so it is in the file too.
    assert [r["action"] for r in rows] == ["audit.export", "record.update", "sign_in", "export.request",
                                           "client.view"]
    hostile = rows[1]
    assert hostile["subject_id"] == "'=HYPERLINK(\"http://evil\")"
    assert hostile["account_email"] == "'@SUM(1+1)"
    assert json.loads(hostile["details"]) == {"after": {"first_name": "=cmd|' /C calc'!A0"}}
    for row in rows:
        assert all(not value.startswith(("=", "+", "-", "@")) for value in row.values())

    filtered = read_csv(signed_in.get("/audit/events.csv?action=client.view"))
    assert [(r["action"], r["subject_id"], r["account_email"]) for r in filtered] == \
        [("client.view", "42", "ana@example.org")]
    [everything, exported] = events("audit.export")
    assert everything.details is None and exported.details == {"action": "client.view"}


def test_csv_streams_in_batches(signed_in, monkeypatch):
    monkeypatch.setattr(audit, "CSV_BATCH", 2)
    at = datetime(2024, 5, 1, 12, 0)
    db.session.add_all([AuditEvent(occurred_dt=at, action="client.view", subject_type="client", subject_id=str(n))
                        for n in range(5)])
    db.session.commit()
    rows = read_csv(signed_in.get("/audit/events.csv?action=client.view"))
    assert [r["subject_id"] for r in rows] == ["4", "3", "2", "1", "0"]


def test_page_links_the_filtered_csv(signed_in):
    html = body(signed_in.get("/audit?action=sign_in&account=staff"))
    assert 'href="/audit/events.csv?action=sign_in&amp;account=staff"' in html
