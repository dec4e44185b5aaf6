"""Creating, updating and searching clients through the records service (both backends)."""
from __future__ import annotations

from datetime import date

import pytest

from hmis.access.operations import PermissionDenied
from hmis.extensions import db
from hmis.models import AuditEvent, Client, HudUser
from hmis.records.clients import create_client, possible_matches, search_clients, ssn_on_file, update_client
from hmis.records.errors import RecordInvalid, StaleRecord

from .conftest import person


def test_create_client_writes_a_local_hud_row_with_data_quality(staff):
    client = create_client(staff, person(ssn="123-45-6780", race=["asian", "white"]))
    db.session.commit()
    row = db.session.get(Client, client.id)
    assert (row.first_name, row.last_name, row.dob) == ("Ada", "Lovelace", date(1980, 5, 17))
    assert row.ssn == "xxxxx6780" and row.ssn_data_quality == 1  # the number itself is encrypted
    assert ssn_on_file(row) == "123456780"
    assert (row.name_data_quality, row.dob_data_quality) == (1, 1)
    assert (row.asian, row.white, row.black_af_american, row.race_none) == (1, 1, 0, None)
    assert row.veteran_status == 99 and row.sex == 99
    assert len(row.personal_id) == 32
    # HUD's UserID names a User row in the same data source.
    user = db.session.query(HudUser).filter_by(data_source_id=row.data_source_id, user_id=row.user_id).one()
    assert user.user_id == f"account-{staff.account_id}"
    event = db.session.query(AuditEvent).filter_by(action="record.create", subject_type="client").one()
    assert event.details["after"]["ssn"] == "xxxxx6780"  # the masked form, never the SSN itself
    assert "123456780" not in str(event.details)


def test_unknown_name_needs_a_reason_and_a_reason_needs_no_name(staff):
    with pytest.raises(RecordInvalid) as caught:
        create_client(staff, {"dob": "1990-01-01"})
    assert "first_name" in caught.value.errors
    client = create_client(staff, {"name_data_quality": 9, "dob_data_quality": 8})
    assert client.first_name is None and client.name_data_quality == 9
    with pytest.raises(RecordInvalid) as caught:
        create_client(staff, {"first_name": "Jo", "name_data_quality": 9})
    assert "name_data_quality" in caught.value.errors


@pytest.mark.parametrize("fields, where", [
    ({"first_name": "A" * 1_000_000, "last_name": "B"}, "first_name"),
    ({"first_name": "Ann\x00", "last_name": "B"}, "first_name"),
    ({"first_name": "Ann", "last_name": "B\u0007ell"}, "last_name"),
    ({"first_name": "Ann", "last_name": "B", "ssn": "12345"}, "ssn"),
    ({"first_name": "Ann", "last_name": "B", "dob": "2999-01-01"}, "dob"),
    ({"first_name": "Ann", "last_name": "B", "dob": "1980-02-30"}, "dob"),
    ({"first_name": "Ann", "last_name": "B", "veteran_status": "7"}, "veteran_status"),
    ({"first_name": "Ann", "last_name": "B", "sex": "1; DROP TABLE client"}, "sex"),
    ({"first_name": "Ann", "last_name": "B", "race": ["martian"]}, "race"),
    ({"first_name": "Ann", "last_name": "B", "personal_id": "mine"}, "personal_id"),
])
def test_bad_answers_are_refused_at_their_field_and_nothing_is_written(staff, fields, where):
    before = db.session.query(Client).count()
    with pytest.raises(RecordInvalid) as caught:
        create_client(staff, fields)
    assert where in caught.value.errors
    db.session.rollback()
    assert db.session.query(Client).count() == before


def test_hostile_text_that_fits_is_stored_verbatim(staff):
    nasty = "<script>alert(1)</script>"
    client = create_client(staff, person(first=nasty, last="'; DROP TABLE client; --"))
    db.session.commit()
    row = db.session.get(Client, client.id)
    assert row.first_name == nasty and row.last_name == "'; DROP TABLE client; --"


def test_update_refuses_a_stale_version_and_keeps_the_first_save(staff):
    client = create_client(staff, person())
    db.session.commit()
    opened = client.date_updated
    update_client(staff, client, {"first_name": "Augusta"}, expected_date_updated=opened)
    db.session.commit()
    with pytest.raises(StaleRecord) as caught:
        update_client(staff, client, {"first_name": "Ada"}, expected_date_updated=opened.isoformat())
    assert "Someone else saved this client" in str(caught.value)
    db.session.rollback()
    assert db.session.get(Client, client.id).first_name == "Augusta"
    assert db.session.query(AuditEvent).filter_by(action="record.update").count() == 1


def test_update_keeps_data_quality_rules(staff):
    client = create_client(staff, person())
    db.session.commit()
    with pytest.raises(RecordInvalid) as caught:
        update_client(staff, client, {"last_name": ""})
    assert "last_name" in caught.value.errors


def test_a_role_without_the_permission_is_refused(analyst):
    with pytest.raises(PermissionDenied):
        create_client(analyst, person())
    with pytest.raises(PermissionDenied):
        search_clients(analyst, name="ada")


@pytest.fixture
def people(staff):
    made = {
        "john": create_client(staff, person("John", "Smith", "1975-03-02", ssn="219-09-1234")),
        "jane": create_client(staff, person("Jane", "Smith", "1982-11-20")),
        "maria": create_client(staff, person("Maria", "de la Cruz", "1990-07-04")),
        "william": create_client(staff, person("William", "Okafor", "1968-01-15")),
        "other": create_client(staff, person("Zed", "Quill", "2001-09-09")),
    }
    db.session.commit()
    return made


@pytest.mark.parametrize("typed, expected", [
    ({"name": "john smith"}, "john"),
    ({"name": "jonh smtih"}, "john"),          # two typos
    ({"name": "smith, john"}, "john"),
    ({"name": "smith john"}, "john"),           # swapped
    ({"name": "bill okafor"}, "william"),       # nickname
    ({"name": "okafr"}, "william"),             # one word, a typo
    ({"name": "maria cruz"}, "maria"),
    ({"name": "smith", "dob": "1975-02-03"}, "john"),  # DOB day and month swapped
    ({"ssn_last4": "1234"}, "john"),
])
def test_search_tolerates_typos(staff, people, typed, expected):
    found = search_clients(staff, **typed)
    assert found, typed
    assert found[0].client.id == people[expected].id, [(m.client.first_name, m.score) for m in found]
    assert found[0].reasons


def test_search_leaves_out_people_who_do_not_match(staff, people):
    ids = {m.client.id for m in search_clients(staff, name="john smith")}
    assert people["other"].id not in ids and people["maria"].id not in ids


def test_search_finds_a_personal_id_and_refuses_bad_filters(staff, people):
    found = search_clients(staff, name=people["jane"].personal_id)
    assert found[0].client.id == people["jane"].id
    with pytest.raises(RecordInvalid) as caught:
        search_clients(staff, name="x", ssn_last4="12a4", dob="yesterday")
    assert set(caught.value.errors) == {"ssn_last4", "dob"}


def test_possible_matches_before_create(staff, people):
    found = possible_matches(staff, {"first_name": "Jon", "last_name": "Smith", "dob": "1975-03-02"})
    assert [m.client.id for m in found][:1] == [people["john"].id]
    assert not possible_matches(staff, {"first_name": "Entirely", "last_name": "Newperson", "dob": "1999-12-31"})
