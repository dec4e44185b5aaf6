"""The new and edit client screens are the published profile form (both backends)."""
from __future__ import annotations

import re

import pytest
import yaml

from hmis.custom_data import values_for
from hmis.definitions import service
from hmis.definitions.sync import sync_folder
from hmis.extensions import db
from hmis.forms.fragments import shipped_folder
from hmis.forms.rules import rules_file
from hmis.models import Client
from hmis.models.forms import FormResponse
from hmis.records.clients import ssn_on_file

from .conftest import make_organization, make_project

P = "hud-client-profile-"


@pytest.fixture
def shipped(app):
    assert sync_folder(shipped_folder()).ok
    sync_folder(rules_file().parent)
    make_project(make_organization())
    db.session.commit()


def _token(html: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def _create(signed_in, **answers) -> tuple:
    page = signed_in.get("/records/clients/new").get_data(as_text=True)
    data = {"token": _token(page), "confirm_new": "1", f"{P}name.first": "Rosa", f"{P}name.last": "Diaz",
            f"{P}dob.dob": "1985-04-01", **{P + k: v for k, v in answers.items()}}
    return signed_in.post("/records/clients/new", data=data), data


def test_the_new_client_screen_is_the_profile_form_prefilled_from_the_search(signed_in, shipped):
    html = signed_in.get("/records/clients/new?name=Rosa+Diaz&dob=1985-04-01").get_data(as_text=True)
    assert 'data-form="hud-client-profile"' in html
    assert f'name="{P}name.first" value="Rosa"' in html and f'name="{P}dob.dob" value="1985-04-01"' in html
    assert f'name="{P}race"' in html and f'name="{P}sex"' in html  # 3.04 and 4.21 from the definition
    assert "<label" in html and 'for="' in html  # every input has its label


def test_a_created_client_has_every_answer_and_a_saved_profile_response(signed_in, shipped):
    response, _ = _create(signed_in, **{"ssn.ssn": "123-45-6789", "race": ["2", "7"], "sex": "0",
                                        "veteran_status": "1", "year_entered_service": "2001",
                                        "year_separated": "2005", "theater_afghanistan": "1",
                                        "military_branch": "1", "discharge_status": "1"})
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    client = db.session.query(Client).one()
    assert (client.first_name, client.name_data_quality, client.dob_data_quality) == ("Rosa", 1, 1)
    assert ssn_on_file(client) is not None and client.ssn_data_quality == 1
    assert (client.asian, client.white, client.black_af_american, client.race_none) == (1, 1, 0, None)
    assert (client.veteran_status, client.year_entered_service, client.afghanistan_oef) == (1, 2001, 1)
    saved = db.session.query(FormResponse).one()
    assert (saved.form_key, saved.client_id, saved.status) == ("hud-client-profile", client.id, "submitted")


def test_blank_optional_answers_are_data_not_collected_and_a_child_is_not_asked_veteran_status(signed_in, shipped):
    response, _ = _create(signed_in, **{"dob.dob": "2015-06-01"})
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    client = db.session.query(Client).one()
    assert (client.ssn_data_quality, client.race_none, client.sex, client.veteran_status) == (99, 99, 99, 99)


def test_answers_that_disagree_are_refused_at_their_item(signed_in, shipped):
    response, _ = _create(signed_in, **{"name.quality": "1", "name.last": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "A full name needs a first and a last name" in html
    assert 'aria-invalid="true"' in html and "Nothing was saved" in html
    assert f'name="{P}name.first" value="Rosa"' in html  # what was typed stays
    assert db.session.query(Client).count() == 0 and db.session.query(FormResponse).count() == 0


def test_edit_shows_the_record_keeps_the_ssn_and_a_blank_clears(signed_in, shipped):
    response, _ = _create(signed_in, **{"ssn.ssn": "123456789", "name.middle": "Maria"})
    client_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = signed_in.get(f"/records/clients/{client_id}/edit").get_data(as_text=True)
    assert f'name="{P}name.middle" value="Maria"' in page and "123456789" not in page and "6789" not in page
    version = re.search(r'name="version" value="([^"]+)"', page).group(1)
    saved = signed_in.post(f"/records/clients/{client_id}/edit", data={
        "version": version, "token": _token(page), f"{P}name.first": "Rosa", f"{P}name.last": "Diaz",
        f"{P}name.middle": "", f"{P}dob.dob": "1985-04-01", f"{P}sex": "0"})
    assert saved.status_code == 303, saved.get_data(as_text=True)[:3000]
    db.session.expire_all()
    client = db.session.get(Client, client_id)
    assert client.middle_name is None and client.sex == 0  # the blank cleared; the new answer saved
    assert ssn_on_file(client) is not None and client.ssn_data_quality == 1  # the empty SSN box kept it


def test_an_item_the_hmis_lead_adds_is_on_both_screens_and_saved(signed_in, shipped):
    body = yaml.safe_load((shipped_folder() / "hud-client-profile.yaml").read_text())
    body["items"].append({"id": "preferred_name", "type": "text", "label": "Preferred name",
                          "custom": "local.preferred_name", "custom_owner": "client", "max_length": 60})
    version = service.save_draft("form", "hud-client-profile", yaml.safe_dump(body, allow_unicode=True))
    service.publish(version.id)
    db.session.commit()
    assert f'name="{P}preferred_name"' in signed_in.get("/records/clients/new").get_data(as_text=True)
    response, _ = _create(signed_in, preferred_name="Ro")
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    client = db.session.query(Client).one()
    assert values_for("client", client.id)["local.preferred_name"] == "Ro"
    edit = signed_in.get(f"/records/clients/{client.id}/edit").get_data(as_text=True)
    assert f'name="{P}preferred_name" value="Ro"' in edit
