"""The household page's POST reads the sharing policy's write check in its own query,
and trusts that reading only in the transaction that made it."""
from __future__ import annotations

import html
from datetime import date, datetime

from flask import request
from sqlalchemy import select, update

from hmis import forms
from hmis.access import policy
from hmis.access.operations import system_actor
from hmis.extensions import db
from hmis.models import Enrollment, Funder, Organization, Project
from hmis.models.definitions import Definition, DefinitionVersion
from hmis.models.forms import FormResponse
from hmis.records import assessment_screen
from hmis.records.clients import create_client
from hmis.records.households import enroll_household

from . import test_assessment_screen as screen
from .conftest import make_organization, make_project
from .test_assessment_screen import HEAD_ANSWERS, _prefixed

household = screen.household  # a mother and her son, and their agency's case manager


def _submit(client, head, child):
    return client.post(f"/records/enrollments/{head.id}/assessment/project_start",
                       data={"action": "submit", **_prefixed(head, HEAD_ANSWERS),
                             **_prefixed(child, {"disabling_condition": "1"})})


def test_the_page_query_answers_the_write_check(household, client, monkeypatch):
    head, child = household
    asked = []
    check = assessment_screen.forms.sharing.check_writable

    def recording(actor, contexts, **known):
        asked.append(known)
        return check(actor, contexts, **known)

    monkeypatch.setattr(assessment_screen.forms.sharing, "check_writable", recording)
    assert _submit(client, head, child).status_code == 303
    assert asked[0]["visible"] == {head.id, child.id}
    agency = db.session.scalar(select(Organization.id).where(Organization.organization_id == "LO1"))
    assert asked[0]["owners"] == {(head.data_source_id, head.project_id): agency}


def test_a_project_moved_to_another_agency_after_the_page_was_read_is_refused(household, client, monkeypatch):
    head, child = household
    shown = assessment_screen.build

    def project_moves(enrollment, stage, *read):
        page = shown(enrollment, stage, *read)
        if request.method == "POST":  # committed by someone else between reading the page and saving it
            other = make_organization("LO2", "Another Agency")
            db.session.execute(update(Project).where(Project.project_id == head.project_id)
                               .values(organization_id=other.organization_id))
            db.session.commit()
        return page

    monkeypatch.setattr(assessment_screen, "build", project_moves)
    response = _submit(client, head, child)
    assert response.status_code == 422
    assert html.escape(policy.ENROLLMENT_NOT_SHARED) in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.query(FormResponse).count() == 0


def test_the_page_query_reads_each_members_funders_once(household, app):
    head, child = household
    rows = [(2, date(2020, 1, 1), None, None), (43, None, date(2025, 12, 31), None),  # ended before the entry
            (3, None, None, datetime(2026, 1, 1)), (None, None, None, None)]  # deleted; no code
    for n, (code, start, end, deleted) in enumerate(rows):
        db.session.add(Funder(data_source_id=head.data_source_id, funder_id=f"F{n}", project_id=head.project_id,
                              funder=code, start_date=start, end_date=end, date_deleted=deleted))
    db.session.add(Funder(data_source_id=head.data_source_id, funder_id="F9", project_id=head.project_id,
                          funder=2, start_date=date(2021, 1, 1)))  # the same code twice
    db.session.commit()
    with app.test_request_context():
        household = assessment_screen._household_page(head.id, "project_start", system_actor())
        page = assessment_screen.build(head, "project_start", household)
    assert [item.enrollment.id for item in page] == [head.id, child.id]  # a member once, whatever the funders
    for item in page:
        assert item.context == forms.context_for(item.enrollment, "project_start")
        assert item.context.funders == [2]


def _ask_shown(client, enrollment_id):
    version = db.session.scalar(select(DefinitionVersion.id).join(DefinitionVersion.definition).where(
        Definition.key == "hud-intake", DefinitionVersion.status == "published"))
    response = client.post("/forms/shown", data={"_ctx_version_id": version, "_ctx_stage": "project_start",
                                                 "_ctx_enrollment_id": enrollment_id})
    assert response.status_code == 200
    return response.get_json()["shown"]


def test_re_evaluation_reads_the_projects_funders_with_the_enrollment(household, client):
    head, _ = household
    assert "date_of_bcp_status" not in _ask_shown(client, head.id)
    for n, (code, end) in enumerate([(22, None), (22, None), (23, date(2025, 1, 1))]):  # RHY BCP twice; one ended
        db.session.add(Funder(data_source_id=head.data_source_id, funder_id=f"F{n}", project_id=head.project_id,
                              funder=code, start_date=date(2020, 1, 1), end_date=end))
    db.session.commit()
    shown = _ask_shown(client, head.id)
    assert "date_of_bcp_status" in shown and "rhy_start" in shown


def test_the_page_is_not_found_for_an_enrollment_missing_deleted_or_not_shared(household, client):
    head, child = household
    url = "/records/enrollments/{}/assessment/project_start"
    assert client.get(url.format(child.id)).status_code == 200  # any member opens the household's page
    assert client.get(url.format(987654)).status_code == 404
    other = make_organization("LO2", "Another Agency")
    theirs = make_project(other, name="Their Shelter", pid="LP2")
    stranger = create_client(system_actor(), {"first_name": "Ana", "last_name": "Ruiz", "dob": "1990-02-03"},
                             organization_id=other.id)
    [their_enrollment] = enroll_household(system_actor(), theirs, [(stranger, 1)], "2026-01-05")
    db.session.commit()
    assert client.get(url.format(their_enrollment.id)).status_code == 404
    db.session.execute(update(Enrollment).where(Enrollment.id == child.id).values(date_deleted=datetime(2026, 2, 1)))
    db.session.commit()
    assert client.get(url.format(child.id)).status_code == 404
    html = client.get(url.format(head.id)).get_data(as_text=True)
    assert f"m{head.id}-hud-intake-" in html and f"m{child.id}-hud-intake-" not in html
