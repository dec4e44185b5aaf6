"""The update, annual and exit assessment screens, each on its own (both backends).

A household of two (a mother, head of household, and her son) in a shelter funded by
HUD CoC: each screen shows each member the items HUD asks of them at that stage, and
a submission writes the HUD rows with that stage's DataCollectionStage.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from hmis.access.operations import system_actor
from hmis.definitions.sync import sync_folder
from hmis.extensions import db
from hmis.forms.fragments import shipped_folder
from hmis.forms.rules import rules_file
from hmis.models import Disabilities, Enrollment, Exit, Funder, HealthAndDV, IncomeBenefits
from hmis.models.forms import FormResponse
from hmis.models.privacy import AccountOrganization
from hmis.records.clients import create_client
from hmis.records.households import enroll_household

from .conftest import make_organization, make_project

TODAY = date.today()
#: What the head of household answers at update, annual and exit (income, benefits,
#: health insurance; disabilities where the stage asks them); "no" everywhere.
HEAD = {"income_from_any_source": "0", "benefits_from_any_source": "0", "insurance_from_any_source": "0",
        "dv_survivor": "0"}
CHILD = {"insurance_from_any_source": "0"}
DISABILITIES = {f"disability_{kind}": "0" for kind in
                ("physical", "developmental", "chronic", "hiv", "mental", "substance")}


def _household(client, make_account, entry: date):
    assert sync_folder(shipped_folder()).ok
    sync_folder(rules_file().parent)
    org = make_organization()
    project = make_project(org)
    db.session.add(Funder(data_source_id=project.data_source_id, funder_id="F1", project_id=project.project_id,
                          funder=2, start_date=date(2020, 1, 1)))
    account = make_account(email="cm@example.org", role="case_manager")
    db.session.add(AccountOrganization(account_id=account.id, organization_id=org.id))
    mom = create_client(system_actor(), {"first_name": "Rosa", "last_name": "Diaz", "dob": "1985-04-01"},
                        organization_id=org.id)
    son = create_client(system_actor(), {"first_name": "Luis", "last_name": "Diaz", "dob": "2012-09-12"},
                        organization_id=org.id)
    members = enroll_household(system_actor(), project, [(mom, 1), (son, 2)], entry.isoformat())
    db.session.commit()
    client.post("/sign-in", data={"email": "cm@example.org", "password": "correct horse battery"})
    return members


@pytest.fixture
def household(app, client, make_account):
    """Enrolled 100 days ago: updates and exits yes, no annual assessment window open."""
    return _household(client, make_account, TODAY - timedelta(days=100))


@pytest.fixture
def year_old_household(app, client, make_account):
    """Enrolled a year ago: the annual assessment window is open today."""
    return _household(client, make_account, TODAY - timedelta(days=365))


def _url(member: Enrollment, stage: str) -> str:
    return f"/records/enrollments/{member.id}/assessment/{stage}"


def _token(html: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def _posted(form: str, answers: dict[Enrollment, dict[str, str]]) -> dict[str, str]:
    return {f"m{member.id}-{form}-{k}": v for member, given in answers.items() for k, v in given.items()}


def _submit(client, member: Enrollment, stage: str, form: str, answers, action: str = "submit", **more):
    page = client.get(_url(member, stage)).get_data(as_text=True)
    data = {"action": action, "token": _token(page), **_posted(form, answers), **more}
    return client.post(_url(member, stage), data=data), data


def _why(response) -> list[str]:
    """The messages a refused page shows (for a failing assertion to say what went wrong)."""
    return re.findall(r'class="(?:form-item__error|flash flash--error)"[^>]*>([^<]+)', response.get_data(as_text=True))


def _staged(model, member: Enrollment) -> list:
    db.session.expire_all()
    return db.session.query(model).filter_by(enrollment_id=member.enrollment_id).all()


# -- update ---------------------------------------------------------------------------------------

def test_update_shows_each_member_the_items_for_them(household, client):
    head, child = household
    html = client.get(_url(head, "update")).get_data(as_text=True)
    assert f'name="m{head.id}-hud-update-income_from_any_source"' in html  # head of household and adults
    assert f'name="m{child.id}-hud-update-income_from_any_source"' not in html
    assert f'name="m{child.id}-hud-update-insurance_from_any_source"' in html  # all clients
    assert f'name="m{head.id}-hud-update-date_of_engagement"' in html  # shelters (project type 1)
    assert "hud-update-exit_date" not in html and "hud-update-destination" not in html  # exit only


def test_update_submit_writes_stage_2_rows_dated_today(household, client):
    head, child = household
    done, _ = _submit(client, head, "update", "hud-update",
                      {head: {**HEAD, **DISABILITIES}, child: {**CHILD, **DISABILITIES}})
    assert done.status_code == 303, _why(done)
    income = _staged(IncomeBenefits, head)
    assert [(r.data_collection_stage, r.information_date, r.income_from_any_source) for r in income] == [
        (2, TODAY, 0)]
    assert [r.data_collection_stage for r in _staged(IncomeBenefits, child)] == [2]  # insurance lives there too
    assert {r.disability_type for r in _staged(Disabilities, child)} >= {5, 6, 7, 8, 9, 10}
    assert {r.data_collection_stage for r in _staged(Disabilities, child)} == {2}


def test_a_double_submit_writes_once_and_a_stale_save_is_refused(household, client):
    head, child = household
    first, data = _submit(client, head, "update", "hud-update", {head: HEAD}, action="draft")
    assert first.status_code == 303
    again = client.post(_url(head, "update"), data=data, follow_redirects=True)
    assert "already sent" in again.get_data(as_text=True)
    assert db.session.query(FormResponse).count() == 2  # one draft per member, not four
    # Two people open the drafts; the first saves; the second's save is refused by name.
    page = client.get(_url(head, "update")).get_data(as_text=True)
    revisions = dict(re.findall(r'name="(m\d+-hud-update-)revision" value="(\d+)"', page))
    saved, _ = _submit(client, head, "update", "hud-update", {head: HEAD}, action="draft")
    assert saved.status_code == 303
    late = client.post(_url(head, "update"), data={
        "action": "draft", "token": _token(page), **_posted("hud-update", {head: HEAD}),
        **{f"{prefix}revision": number for prefix, number in revisions.items()}})
    html = late.get_data(as_text=True)
    assert late.status_code == 422 and "after you opened it" in html and "Nothing was saved" in html


# -- annual ---------------------------------------------------------------------------------------

def test_annual_is_offered_only_in_its_window(household, client):
    head, _ = household
    page = client.get(f"/records/enrollments/{head.id}").get_data(as_text=True)
    assert "Annual assessment" not in page and "Update" in page
    closed = client.get(_url(head, "annual"))
    assert closed.status_code == 409 and "The next window is" in closed.get_data(as_text=True)
    refused = client.post(_url(head, "annual"), data={"action": "submit", "token": "t1"})
    assert refused.status_code == 409 and db.session.query(FormResponse).count() == 0


def test_annual_in_its_window_writes_stage_5_rows(year_old_household, client):
    head, child = year_old_household
    page = client.get(f"/records/enrollments/{head.id}").get_data(as_text=True)
    assert "Annual assessment" in page
    html = client.get(_url(head, "annual")).get_data(as_text=True)
    assert f'name="m{head.id}-hud-annual-income_from_any_source"' in html
    assert f'name="m{head.id}-hud-annual-disability_physical"' not in html  # disabilities: not at annual
    from hmis.workflows.due import annual_due

    assert {item.status for item in annual_due(system_actor(), _project_id(head), TODAY)} == {"due"}
    done, _ = _submit(client, head, "annual", "hud-annual", {head: HEAD, child: CHILD})
    assert done.status_code == 303, _why(done)
    assert [(r.data_collection_stage, r.information_date) for r in _staged(IncomeBenefits, head)] == [(5, TODAY)]
    # The due list (the same HUD rule) now counts both as assessed in this window.
    due = annual_due(system_actor(), _project_id(head), TODAY)
    assert [item for item in due if item.status in ("due", "overdue")] == []


def _project_id(member: Enrollment) -> int:
    from hmis.models import Project

    return db.session.query(Project.id).filter_by(project_id=member.project_id).scalar()


# -- exit -----------------------------------------------------------------------------------------

def test_exit_creates_the_exit_row_with_its_destination_and_stage_3_rows(household, client):
    head, child = household
    html = client.get(_url(head, "exit")).get_data(as_text=True)
    assert f'name="m{head.id}-hud-exit-destination"' in html and f'name="m{child.id}-hud-exit-destination"' in html
    leaving = (TODAY - timedelta(days=1)).isoformat()
    answers = {head: {**HEAD, **DISABILITIES, "exit_date": leaving, "destination": "410"},
               child: {**CHILD, **DISABILITIES, "exit_date": leaving, "destination": "410"}}
    early, _ = _submit(client, head, "exit", "hud-exit",
                       {**answers, head: {**answers[head], "exit_date": "2000-01-01"}})
    assert early.status_code == 422 and "cannot be before project start" in early.get_data(as_text=True)
    assert db.session.query(Exit).count() == 0
    done, data = _submit(client, head, "exit", "hud-exit", answers)
    assert done.status_code == 303, _why(done)
    db.session.expire_all()
    exits = db.session.query(Exit).order_by(Exit.id).all()
    assert [(x.enrollment_id, x.exit_date.isoformat(), x.destination) for x in exits] == [
        (head.enrollment_id, leaving, 410), (child.enrollment_id, leaving, 410)]
    income = _staged(IncomeBenefits, head)
    assert [(r.data_collection_stage, r.information_date.isoformat()) for r in income] == [(3, leaving)]
    assert {r.data_collection_stage for r in _staged(HealthAndDV, head)} <= {3}
    # The back button and the same form again: the exit is not written twice.
    again = client.post(_url(head, "exit"), data=data)
    assert again.status_code == 303 and db.session.query(Exit).count() == 2
