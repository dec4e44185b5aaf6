"""The re-evaluation endpoint (``forms.js`` asks ``/forms/shown`` after each change) with
an enrollment: its facts decide what is shown, and only those who may see it may ask."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from hmis.extensions import db
from hmis.models import Organization, Project

from .sample import FORM, INCOME_FRAGMENT


@pytest.fixture
def version(publish_form):
    publish_form(INCOME_FRAGMENT)
    return publish_form(FORM)


def _ask(client, version, enrollment_id):
    return client.post("/forms/shown", data={"_ctx_version_id": version.id, "_ctx_stage": "project_start",
                                             "_ctx_enrollment_id": enrollment_id, "_ctx_prefix": "p-",
                                             "p-income_any": "1"})


def _sign_in(app, email):
    client = app.test_client()
    response = client.post("/sign-in", data={"email": email, "password": "correct horse battery"})
    assert response.status_code in (302, 303)
    return client


def test_the_enrollments_client_decides_what_is_shown(signed_in, version, make_enrollment):
    adult = make_enrollment(dob=date(1980, 5, 1), relationship=1)
    child = make_enrollment(dob=date(2020, 5, 1), relationship=2)
    adult_shown = _ask(signed_in, version, adult.id).get_json()["shown"]
    child_shown = _ask(signed_in, version, child.id).get_json()["shown"]
    assert "living_situation" in adult_shown and "incomes" in adult_shown
    assert "living_situation" not in child_shown and "income_any" not in child_shown  # adults only
    assert "physical" in child_shown


def test_another_agencys_enrollment_is_refused_and_a_missing_one_is_not_found(app, version, make_enrollment,
                                                                              make_account):
    ours, theirs = make_enrollment(), make_enrollment()
    organization = db.session.scalar(select(Organization).join(
        Project, Project.organization_id == Organization.organization_id).where(Project.project_id == ours.project_id))
    make_account("cm@example.org", role="case_manager", organizations=[organization.id])
    client = _sign_in(app, "cm@example.org")
    assert _ask(client, version, ours.id).status_code == 200
    refused = _ask(client, version, theirs.id)
    assert refused.status_code == 403 and "not shared with yours" in refused.get_data(as_text=True)
    assert _ask(client, version, 987654).status_code == 404
