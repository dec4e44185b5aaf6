"""The household page's current living situation panel is the CLS form (both backends)."""
from __future__ import annotations

import re
from datetime import date

import pytest
import yaml

from hmis.custom_data import values_for
from hmis.definitions import service
from hmis.extensions import db
from hmis.forms.fragments import shipped_folder
from hmis.models import CurrentLivingSituation, Enrollment
from hmis.models.forms import FormResponse

from .test_stage_screens import _household

F = "cls-hud-current-living-situation-"


@pytest.fixture
def household(app, client, make_account):
    return _household(client, make_account, date(2026, 1, 5))


def _record(client, member: Enrollment, household_id: int, **answers):
    page = client.get(f"/records/enrollments/{household_id}").get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    data = {"token": token, "member": str(member.id), **{F + k: v for k, v in answers.items()}}
    return client.post(f"/records/enrollments/{household_id}/living-situation", data=data)


def test_the_panel_renders_the_cls_form(household, client):
    head, _ = household
    html = client.get(f"/records/enrollments/{head.id}").get_data(as_text=True)
    assert 'data-form="hud-current-living-situation"' in html
    assert f'name="{F}contact_date"' in html and f'name="{F}current_living_situation"' in html
    assert f'for="{F}current_living_situation"' in html  # labelled (a select: more than six choices)


def test_a_contact_is_saved_through_the_form(household, client):
    head, _ = household
    done = _record(client, head, head.id, contact_date="2026-01-09", current_living_situation="116",
                   location_details="Under the bridge")
    assert done.status_code == 303, done.get_data(as_text=True)[-2000:]
    db.session.expire_all()
    row = db.session.query(CurrentLivingSituation).one()
    assert (row.enrollment_id, row.information_date, row.current_living_situation, row.location_details) == (
        head.enrollment_id, date(2026, 1, 9), 116, "Under the bridge")
    response = db.session.query(FormResponse).one()
    assert (response.stage, response.enrollment_id, response.status) == ("cls", head.id, "submitted")


def test_a_follow_up_question_is_required_at_its_item_and_nothing_is_saved(household, client):
    head, _ = household
    refused = _record(client, head, head.id, contact_date="2026-01-09", current_living_situation="435")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "This question is required." in html and 'aria-invalid="true"' in html
    assert f'name="{F}contact_date" value="2026-01-09"' in html  # what was typed is shown again
    early = _record(client, head, head.id, contact_date="2025-12-31", current_living_situation="116")
    assert early.status_code == 422 and "on or after project start" in early.get_data(as_text=True)
    assert db.session.query(CurrentLivingSituation).count() == 0 and db.session.query(FormResponse).count() == 0


def test_a_child_is_not_asked_and_the_panel_says_so(household, client):
    head, child = household
    refused = _record(client, child, head.id, contact_date="2026-01-09", current_living_situation="116")
    assert refused.status_code == 422 and "asks nothing about the person chosen" in refused.get_data(as_text=True)
    assert db.session.query(CurrentLivingSituation).count() == 0


def test_a_question_the_hmis_lead_adds_is_on_the_panel_and_saved(household, client):
    head, _ = household
    body = yaml.safe_load((shipped_folder() / "hud-current-living-situation.yaml").read_text())
    body["items"].append({"id": "outreach_worker", "type": "text", "label": "Outreach worker", "max_length": 80,
                          "custom": "local.outreach_worker"})
    service.publish(service.save_draft("form", "hud-current-living-situation",
                                       yaml.safe_dump(body, allow_unicode=True)).id)
    db.session.commit()
    assert f'name="{F}outreach_worker"' in client.get(f"/records/enrollments/{head.id}").get_data(as_text=True)
    done = _record(client, head, head.id, contact_date="2026-01-09", current_living_situation="116",
                   outreach_worker="Sam")
    assert done.status_code == 303
    assert values_for("enrollment", head.id)["local.outreach_worker"] == "Sam"
