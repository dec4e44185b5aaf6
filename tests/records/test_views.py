"""The staff screens through Flask's test client (both backends)."""
from __future__ import annotations

import re

import pytest

from hmis.extensions import db
from hmis.models import Client, Enrollment, Exit, Services
from hmis.models.records import SubmittedForm
from hmis.records.clients import create_client, update_client
from hmis.access.operations import system_actor
from hmis.definitions.sync import sync_folder
from hmis.forms.fragments import shipped_folder
from hmis.forms.rules import rules_file

from .conftest import make_organization, make_project


#: The profile form's fields, as the new and edit client screens post them.
P = "hud-client-profile-"
FIELD = {"first_name": P + "name.first", "last_name": P + "name.last", "middle_name": P + "name.middle",
         "dob": P + "dob.dob", "ssn": P + "ssn.ssn", "sex": P + "sex", "veteran_status": P + "veteran_status"}


@pytest.fixture
def shelter(app):
    assert sync_folder(shipped_folder()).ok
    sync_folder(rules_file().parent)
    org = make_organization()
    project = make_project(org)
    db.session.commit()
    return project


def _token(html: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def _posted(fields: dict) -> dict:
    return {FIELD.get(name, name): value for name, value in fields.items()}


def _new_client(signed_in, **fields):
    page = signed_in.get("/records/clients/new").get_data(as_text=True)
    data = _posted({"token": _token(page), "first_name": "Rosa", "last_name": "Diaz", "dob": "1985-04-01",
                    **fields})
    return signed_in.post("/records/clients/new", data=data), data


def test_find_shows_typo_tolerant_matches_and_a_partial_for_htmx(signed_in, shelter):
    create_client(system_actor(), {"first_name": "John", "last_name": "Smith", "dob": "1975-03-02"})
    db.session.commit()
    page = signed_in.get("/records/find?name=jonh+smiht").get_data(as_text=True)
    assert "Smith" in page and "<html" in page and "create a new client" in page
    partial = signed_in.get("/records/find?name=jonh+smiht", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Smith" in partial and "<html" not in partial
    bad = signed_in.get("/records/find?name=x&ssn_last4=12ab").get_data(as_text=True)
    assert "four digits" in bad


def test_create_client_then_a_double_submit_goes_to_the_same_client(signed_in, shelter):
    response, data = _new_client(signed_in)
    assert response.status_code == 303
    client = db.session.query(Client).one()
    assert response.headers["Location"].endswith(f"/clients/{client.id}")
    again = signed_in.post("/records/clients/new", data=data)
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/clients/{client.id}")
    assert db.session.query(Client).count() == 1
    assert db.session.query(SubmittedForm).count() == 1


def test_possible_matches_come_before_a_new_client(signed_in, shelter):
    create_client(system_actor(), {"first_name": "Rosa", "last_name": "Diaz", "dob": "1985-04-01"})
    db.session.commit()
    response, data = _new_client(signed_in, first_name="Roza")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Is this one of these people?" in html
    assert db.session.query(Client).count() == 1
    confirmed = signed_in.post("/records/clients/new", data={**data, "confirm_new": "1"})
    assert confirmed.status_code == 303
    assert db.session.query(Client).count() == 2


@pytest.mark.parametrize("fields, message", [
    ({"first_name": "x" * 1_000_000}, "This answer is too long"),
    ({"first_name": "x" * 60}, "HUD allows at most 50"),  # the form allows it; the records service does not
    ({"last_name": "Di\x01az"}, "control characters"),
    ({"dob": "1985-13-01"}, "Enter a date as year-month-day"),
    ({"ssn": "12-34"}, "An SSN has 9 digits"),
])
def test_bad_answers_show_at_their_item_and_save_nothing(signed_in, shelter, fields, message):
    response, _ = _new_client(signed_in, **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html and 'aria-invalid="true"' in html
    assert db.session.query(Client).count() == 0


def test_hostile_text_is_escaped_everywhere_it_is_shown(signed_in, shelter):
    response, _ = _new_client(signed_in, first_name="<script>alert(1)</script>", last_name="'; DROP TABLE client;--")
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    found = signed_in.get("/records/find?name=script+drop").get_data(as_text=True)
    assert "<script>alert" not in found


def test_the_second_of_two_editors_is_told_and_nothing_is_overwritten(signed_in, shelter):
    response, _ = _new_client(signed_in)
    client_id = int(response.headers["Location"].rsplit("/", 1)[1])
    form = signed_in.get(f"/records/clients/{client_id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" value="([^"]+)"', form).group(1)
    # Someone else saves first.
    update_client(system_actor(), db.session.get(Client, client_id), {"first_name": "Rose"})
    db.session.commit()
    late = signed_in.post(f"/records/clients/{client_id}/edit", data=_posted({
        "version": version, "first_name": "Rosalind", "last_name": "Diaz", "dob": "1985-04-01"}))
    assert late.status_code == 409 and "Someone else saved this client" in late.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Client, client_id).first_name == "Rose"


def _family(signed_in):
    ids = []
    for first, dob in (("Rosa", "1985-04-01"), ("Luis", "2012-09-12"), ("Ana", "2016-02-28")):
        response, _ = _new_client(signed_in, first_name=first, dob=dob, confirm_new="1")
        ids.append(int(response.headers["Location"].rsplit("/", 1)[1]))
    return ids


def _enroll(signed_in, shelter, ids, relationships=("1", "2", "2"), entry="2026-01-05"):
    page = signed_in.get(f"/records/clients/{ids[0]}/enroll").get_data(as_text=True)
    return signed_in.post(f"/records/clients/{ids[0]}/enroll", data={
        "token": _token(page), "project": str(shelter.id), "entry_date": entry,
        "member": [str(i) for i in ids], "relationship": list(relationships)})


def test_household_builder_adds_a_member_row(signed_in, shelter):
    ids = _family(signed_in)
    row = signed_in.get(f"/records/household-member?client_id={ids[1]}", headers={"HX-Request": "true"})
    html = row.get_data(as_text=True)
    assert f'name="member" value="{ids[1]}"' in html and "Relationship to head of household" in html
    matches = signed_in.get(f"/records/find?name=luis+diaz&household_for={ids[0]}",
                            headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Add to household" in matches


def test_enroll_exit_services_and_bed_nights(signed_in, shelter):
    ids = _family(signed_in)
    refused = _enroll(signed_in, shelter, ids, relationships=("2", "2", "2"))
    assert refused.status_code == 422 and "head of household" in refused.get_data(as_text=True)
    assert db.session.query(Enrollment).count() == 0

    response = _enroll(signed_in, shelter, ids)
    assert response.status_code == 303
    household_url = response.headers["Location"]
    enrollments = db.session.query(Enrollment).order_by(Enrollment.id).all()
    assert len(enrollments) == 3 and len({e.household_id for e in enrollments}) == 1
    page = signed_in.get(household_url).get_data(as_text=True)
    assert "Rosa" in page and "Intake" in page and "Bed nights" in page

    token = _token(page)
    service = signed_in.post(f"{household_url}/services", data={
        "token": token, "member": str(enrollments[0].id), "record_type": "144", "type_provided": "1",
        "date_provided": "2026-01-06"})
    assert service.status_code == 303
    signed_in.post(f"{household_url}/services", data={
        "token": token, "member": str(enrollments[0].id), "record_type": "144", "type_provided": "1",
        "date_provided": "2026-01-06"})  # the same form sent twice
    assert db.session.query(Services).count() == 1
    options = signed_in.get("/records/service-types?record_type=200").get_data(as_text=True)
    assert 'value="200"' in options

    nights = signed_in.post(f"/records/projects/{shelter.id}/bed-nights", data={
        "night": "2026-01-07", "enrollment": [str(e.id) for e in enrollments]})
    assert nights.status_code == 303
    assert db.session.query(Services).filter_by(record_type=200).count() == 3
    early = signed_in.post(f"/records/projects/{shelter.id}/bed-nights", data={
        "night": "2026-01-01", "enrollment": [str(e.id) for e in enrollments]})
    assert early.status_code == 422 and "before the project start date" in early.get_data(as_text=True)

    exit_page = signed_in.get(household_url).get_data(as_text=True)
    bad_exit = signed_in.post(f"{household_url}/exit", data={
        "token": _token(exit_page), "exit_date": "2025-12-31", "exit_member": [str(e.id) for e in enrollments]})
    assert bad_exit.status_code == 422 and "before the project start date" in bad_exit.get_data(as_text=True)
    assert db.session.query(Exit).count() == 0
    done = signed_in.post(f"{household_url}/exit", data={
        "token": _token(exit_page), "exit_date": "2026-02-01", "exit_member": [str(e.id) for e in enrollments],
        **{f"destination-{e.id}": "410" for e in enrollments}})
    assert done.status_code == 303
    assert sorted(x.destination for x in db.session.query(Exit)) == [410, 410, 410]
    # The back button and a resend: the token is spent, nothing is exited twice.
    again = signed_in.post(f"{household_url}/exit", data={
        "token": _token(exit_page), "exit_date": "2026-02-01", "exit_member": [str(e.id) for e in enrollments]})
    assert again.status_code == 303 and db.session.query(Exit).count() == 3


def test_other_agencies_staff_get_403_for_our_client(client, make_account, shelter):
    from hmis.models.privacy import AccountOrganization

    other = make_organization("LO9", "Elsewhere")
    account = make_account(email="else@example.org", role="case_manager")
    db.session.add(AccountOrganization(account_id=account.id, organization_id=other.id))
    person = create_client(system_actor(), {"first_name": "Rosa", "last_name": "Diaz"},
                           organization_id=db.session.query(type(other)).filter_by(organization_id="LO1").one().id)
    db.session.commit()
    client.post("/sign-in", data={"email": "else@example.org", "password": "correct horse battery"})
    assert client.get(f"/clients/{person.id}").status_code == 403
    assert client.get(f"/records/clients/{person.id}/edit").status_code == 403
    assert "Diaz" not in client.get("/records/find?name=rosa+diaz").get_data(as_text=True)
