"""A household's intake on one page, through the forms engine (both backends)."""
from __future__ import annotations

import pytest

from hmis.access.operations import system_actor
from hmis.definitions.sync import sync_folder
from hmis.extensions import db
from hmis.forms.fragments import shipped_folder
from hmis.forms.rules import rules_file
from hmis.models import Enrollment
from hmis.models.forms import FormResponse
from hmis.models.privacy import AccountOrganization
from hmis.records.clients import create_client
from hmis.records.households import enroll_household

from .conftest import make_organization, make_project

HEAD_ANSWERS = {"living_situation": "116", "length_of_stay": "5", "date_to_street": "2025-01-01",
                "times_homeless": "4", "months_homeless": "113", "enrollment_coc": "XX-500",
                "disabling_condition": "0"}


@pytest.fixture
def household(app, client, make_account):
    assert sync_folder(shipped_folder()).ok
    sync_folder(rules_file().parent)
    org = make_organization()
    project = make_project(org)
    account = make_account(email="cm@example.org", role="case_manager")
    db.session.add(AccountOrganization(account_id=account.id, organization_id=org.id))
    mom = create_client(system_actor(), {"first_name": "Rosa", "last_name": "Diaz", "dob": "1985-04-01"},
                        organization_id=org.id)
    son = create_client(system_actor(), {"first_name": "Luis", "last_name": "Diaz", "dob": "2012-09-12"},
                        organization_id=org.id)
    members = enroll_household(system_actor(), project, [(mom, 1), (son, 2)], "2026-01-05")
    db.session.commit()
    client.post("/sign-in", data={"email": "cm@example.org", "password": "correct horse battery"})
    return members


def _prefixed(enrollment: Enrollment, answers: dict[str, str]) -> dict[str, str]:
    return {f"m{enrollment.id}-hud-intake-{k}": v for k, v in answers.items()}


def test_the_intake_page_has_each_members_items(household, client):
    head, child = household
    html = client.get(f"/records/enrollments/{head.id}/assessment/project_start").get_data(as_text=True)
    assert f'name="m{head.id}-hud-intake-living_situation"' in html
    assert f'name="m{child.id}-hud-intake-disabling_condition"' in html
    assert f'name="m{child.id}-hud-intake-living_situation"' not in html  # HoH and adults only


def test_a_draft_saves_half_an_intake_and_comes_back(household, client):
    head, child = household
    url = f"/records/enrollments/{head.id}/assessment/project_start"
    saved = client.post(url, data={"action": "draft", **_prefixed(head, {"living_situation": "116"})})
    assert saved.status_code == 303
    drafts = db.session.query(FormResponse).filter_by(status="draft").all()
    assert len(drafts) == 2
    html = client.get(url).get_data(as_text=True)
    assert "Draft" in html and 'value="116" selected' in html.replace("\n", " ") or 'value="116"' in html
    db.session.expire_all()
    assert db.session.get(Enrollment, head.id).living_situation is None  # a draft writes no HUD data


def test_submit_with_missing_answers_saves_nothing_then_a_full_one_writes_hud(household, client):
    head, child = household
    url = f"/records/enrollments/{head.id}/assessment/project_start"
    partial = client.post(url, data={"action": "submit", **_prefixed(head, HEAD_ANSWERS)})
    assert partial.status_code == 422 and "This question is required." in partial.get_data(as_text=True)
    assert db.session.query(FormResponse).count() == 0
    done = client.post(url, data={"action": "submit", **_prefixed(head, HEAD_ANSWERS),
                                  **_prefixed(child, {"disabling_condition": "1"})})
    assert done.status_code == 303, done.get_data(as_text=True)[:2000]
    db.session.expire_all()
    head_row, child_row = db.session.get(Enrollment, head.id), db.session.get(Enrollment, child.id)
    assert (head_row.living_situation, head_row.times_homeless_past_three_years, head_row.disabling_condition) == (
        116, 4, 0)
    assert child_row.disabling_condition == 1
    assert db.session.query(FormResponse).filter_by(status="submitted").count() == 2

