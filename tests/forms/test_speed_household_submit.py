"""A household's submit writes each table's rows for all its members in one flush: one
INSERT of the responses, one UPDATE per set of changed Enrollment columns; a race lost at
that flush still saves nothing and is named at the form someone else saved."""
from __future__ import annotations

import pytest
from flask import request
from sqlalchemy import event

from hmis.access.operations import Actor, system_actor
from hmis.definitions.sync import sync_folder
from hmis.extensions import db
from hmis.forms import responses
from hmis.forms.fragments import shipped_folder
from hmis.forms.rules import rules_file
from hmis.models import Account, AuditEvent, Enrollment
from hmis.models.forms import FormResponse
from hmis.models.privacy import AccountOrganization
from hmis.records import assessment_screen
from hmis.records.clients import create_client
from hmis.records.households import enroll_household
from hmis.records.stamps import hud_user_id

from ..records.conftest import make_organization, make_project
from ..records.test_assessment_screen import HEAD_ANSWERS, _prefixed


@pytest.fixture
def family(app, client, make_account):
    """Two adults and two children enrolled together; their case manager signed in."""
    assert sync_folder(shipped_folder()).ok
    sync_folder(rules_file().parent)
    org = make_organization()
    project = make_project(org)
    account = make_account(email="cm@example.org", role="case_manager")
    db.session.add(AccountOrganization(account_id=account.id, organization_id=org.id))
    people = [("Rosa", "1985-04-01", 1), ("Juan", "1983-02-11", 3), ("Luis", "2012-09-12", 2),
              ("Ana", "2019-06-30", 2)]
    members = [(create_client(system_actor(), {"first_name": first, "last_name": "Diaz", "dob": dob},
                              organization_id=org.id), relationship) for first, dob, relationship in people]
    enrollments = enroll_household(system_actor(), project, members, "2026-01-05")
    db.session.commit()
    client.post("/sign-in", data={"email": "cm@example.org", "password": "correct horse battery"})
    return enrollments


def _answers(family) -> dict[str, str]:
    adult_one, adult_two, child_one, child_two = family
    return {"action": "submit", **_prefixed(adult_one, HEAD_ANSWERS), **_prefixed(adult_two, HEAD_ANSWERS),
            **_prefixed(child_one, {"disabling_condition": "1"}), **_prefixed(child_two, {"disabling_condition": "0"})}


def test_four_members_intakes_go_in_one_insert_and_an_update_per_set_of_columns(family, client):
    # The case manager has written here before: their HUD User row exists (the first save
    # in a data source adds it, a statement of its own that flushes what is pending).
    account = db.session.query(Account).filter_by(email="cm@example.org").one()
    hud_user_id(Actor(account_id=account.id, role=account.role, name=account.name), family[0].data_source_id)
    db.session.commit()
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        response = client.post(f"/records/enrollments/{family[0].id}/assessment/project_start", data=_answers(family))
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    inserts = [s for s in statements if s.startswith("INSERT INTO form_response")]
    updates = [s for s in statements if s.startswith("UPDATE enrollment")]
    # One UPDATE for the adults' columns and one for the children's, and on PostgreSQL one
    # INSERT of the four responses (was a statement per member each). SQLite's driver
    # cannot return a batch's ids in order, so SQLAlchemy inserts the rows one by one
    # there (still in the one flush).
    assert len(updates) == 2
    assert len(inserts) == (1 if db.engine.dialect.name == "postgresql" else 4)
    db.session.expire_all()
    assert db.session.query(FormResponse).filter_by(status="submitted").count() == 4
    rows = [db.session.get(Enrollment, e.id) for e in family]
    assert [(r.living_situation, r.disabling_condition) for r in rows] == [(116, 0), (116, 0), (None, 1), (None, 0)]
    assert all(r.user_id != "system" for r in rows)  # stamped by the case manager
    # Every member's changes audited, as before.
    changed = {event.subject_id for event in db.session.query(AuditEvent).filter_by(action="record.update",
                                                                                     subject_type="Enrollment")}
    assert changed == {r.enrollment_id for r in rows}


def test_a_race_lost_at_the_pages_flush_is_named_at_the_form_someone_else_saved(family, client, monkeypatch):
    shown = assessment_screen.build
    child = family[2]

    def someone_saves_the_childs_intake(enrollment, stage, *read):
        page = shown(enrollment, stage, *read)
        if request.method == "POST":  # theirs is committed between our checks and our flush
            theirs = next(item for item in page if item.enrollment.id == child.id)
            db.session.add(FormResponse(form_key=theirs.form.key, definition_version_id=theirs.form.version_id,
                                        enrollment_id=child.id, stage="project_start", status="draft",
                                        answers={}, written={}, revision=1))
            db.session.commit()
        return page

    monkeypatch.setattr(assessment_screen, "build", someone_saves_the_childs_intake)
    monkeypatch.setattr(responses, "check_once", lambda pairs: {})  # the checks do not see their row
    monkeypatch.setattr(responses, "_refuse_second", lambda form, context: None)
    response = client.post(f"/records/enrollments/{family[0].id}/assessment/project_start", data=_answers(family))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    sections = {member.id: html[html.index(f'id="m{member.id}-hud-intake-heading"'):].split("</section>")[0]
                for member in family}
    named = [member_id for member_id, section in sections.items()
             if "Someone else saved this form for this enrollment just now" in section]
    assert named == [child.id]  # at the child's form only
    db.session.expire_all()
    assert [r.enrollment_id for r in db.session.query(FormResponse)] == [child.id]  # theirs alone
    assert db.session.get(Enrollment, family[0].id).living_situation is None
