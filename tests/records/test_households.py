"""Enrolling households, adding members, exiting, services and bed nights (both backends)."""
from __future__ import annotations

import threading
from datetime import date

import pytest

from hmis.access.operations import PermissionDenied
from hmis.extensions import db
from hmis.models import Enrollment, Exit, Services
from hmis.records.clients import create_client, search_clients, update_client
from hmis.records.errors import RecordInvalid
from hmis.records.households import add_member, enroll_household, exit_household, household_of
from hmis.records.service_records import record_bed_nights, record_current_living_situation, record_service

from .conftest import actor_for, make_organization, make_project, person


@pytest.fixture
def family(staff):
    made = [create_client(staff, person("Rosa", "Diaz", "1985-04-01")),
            create_client(staff, person("Luis", "Diaz", "2012-09-12")),
            create_client(staff, person("Ana", "Diaz", "2016-02-28"))]
    db.session.commit()
    return made


def test_enroll_household_gives_one_household_one_head_and_the_project_coc(staff, project, family):
    mom, son, daughter = family
    enrollments = enroll_household(staff, project, [(mom, 1), (son, "2"), (daughter, 2)], "2026-01-05")
    db.session.commit()
    assert len({e.household_id for e in enrollments}) == 1
    assert [e.relationship_to_hoh for e in enrollments] == [1, 2, 2]
    assert [e.enrollment_coc for e in enrollments] == ["XX-500", None, None]
    assert all(e.entry_date == date(2026, 1, 5) and e.disabling_condition == 99 for e in enrollments)
    assert [e.personal_id for e in household_of(enrollments[2])] == [mom.personal_id, son.personal_id,
                                                                     daughter.personal_id]


@pytest.mark.parametrize("members, entry, where", [
    ([(0, 2), (1, 2)], "2026-01-05", "members"),           # no head of household
    ([(0, 1), (1, 1)], "2026-01-05", "members"),           # two heads
    ([(0, 1), (0, 2)], "2026-01-05", "member-1.client"),   # the same person twice
    ([(0, 1), (1, 7)], "2026-01-05", "member-1.relationship_to_hoh"),
    ([(0, 1)], "2019-12-31", "entry_date"),                 # before the project operated
    ([(0, 1)], "2999-01-01", "entry_date"),
    ([(0, 1)], "01/05/2026", "entry_date"),
    ([], "2026-01-05", "members"),
])
def test_bad_households_are_refused_whole(staff, project, family, members, entry, where):
    with pytest.raises(RecordInvalid) as caught:
        enroll_household(staff, project, [(family[i], rel) for i, rel in members], entry)
    assert where in caught.value.errors
    db.session.rollback()
    assert db.session.query(Enrollment).count() == 0


def test_a_second_open_enrollment_in_the_same_project_is_refused(staff, project, family):
    enroll_household(staff, project, [(family[0], 1)], "2026-01-05")
    db.session.commit()
    with pytest.raises(RecordInvalid) as caught:
        enroll_household(staff, project, [(family[0], 1), (family[1], 2)], "2026-02-01")
    assert "Rosa Diaz" in caught.value.errors["members"]


def test_several_cocs_need_a_choice(staff, agency, family):
    project = make_project(agency, pid="LP2", cocs=("XX-500", "XX-501"))
    db.session.commit()
    with pytest.raises(RecordInvalid) as caught:
        enroll_household(staff, project, [(family[0], 1)], "2026-01-05")
    assert "enrollment_coc" in caught.value.errors
    [enrollment] = enroll_household(staff, project, [(family[0], 1)], "2026-01-05", enrollment_coc="XX-501")
    assert enrollment.enrollment_coc == "XX-501"


def test_add_member_joins_the_household(staff, project, family):
    head, *_ = enroll_household(staff, project, [(family[0], 1)], "2026-01-05")
    db.session.commit()
    with pytest.raises(RecordInvalid):
        add_member(staff, head, family[1], 1, "2026-01-06")
    with pytest.raises(RecordInvalid):
        add_member(staff, head, family[1], 2, "2026-01-04")
    member = add_member(staff, head, family[1], 2, "2026-01-06")
    db.session.commit()
    assert member.household_id == head.household_id and member.enrollment_coc is None


def test_exit_household_writes_one_exit_each_and_refuses_a_second_exit(staff, project, family):
    enrollments = enroll_household(staff, project, [(family[0], 1), (family[1], 2)], "2026-01-05")
    db.session.commit()
    with pytest.raises(RecordInvalid) as caught:
        exit_household(staff, enrollments, "2026-01-04")
    assert "exit_date" in caught.value.errors
    with pytest.raises(RecordInvalid) as caught:
        exit_household(staff, enrollments, "2026-02-01", destinations={enrollments[0].id: 12345})
    assert f"enrollment-{enrollments[0].id}.destination" in caught.value.errors
    db.session.rollback()
    exits = exit_household(staff, enrollments, "2026-02-01", destinations={enrollments[0].id: "410"})
    db.session.commit()
    assert sorted((x.destination, x.exit_date) for x in exits) == [(99, date(2026, 2, 1)), (410, date(2026, 2, 1))]
    with pytest.raises(RecordInvalid) as caught:
        exit_household(staff, enrollments[:1], "2026-02-02")
    assert "already exited" in caught.value.errors[f"enrollment-{enrollments[0].id}"]
    db.session.rollback()
    assert db.session.query(Exit).count() == 2


def test_services_follow_the_record_type_list_and_the_enrollment_dates(staff, project, family):
    [enrollment] = enroll_household(staff, project, [(family[0], 1)], "2026-01-05")
    db.session.commit()
    service = record_service(staff, enrollment, 144, 1, "2026-01-10", sub_type_provided=None)
    assert (service.record_type, service.type_provided) == (144, 1)
    with pytest.raises(RecordInvalid) as caught:
        record_service(staff, enrollment, 200, 5, "2026-01-10")  # bed nights have only type 200
    assert "type_provided" in caught.value.errors
    with pytest.raises(RecordInvalid) as caught:
        record_service(staff, enrollment, 144, 1, "2026-01-01")
    assert "date_provided" in caught.value.errors
    with pytest.raises(RecordInvalid):
        record_service(staff, enrollment, 144, 1, "2026-01-10", personal_id="someone-else")
    with pytest.raises(RecordInvalid) as caught:
        record_service(staff, enrollment, 152, 1, "2026-01-10", fa_amount="lots")
    assert "fa_amount" in caught.value.errors


def test_bed_nights_for_a_whole_night_are_recorded_once(staff, project, family):
    enrollments = enroll_household(staff, project, [(f, 1 if n == 0 else 2) for n, f in enumerate(family)],
                                   "2026-01-05")
    db.session.commit()
    first = record_bed_nights(staff, enrollments, "2026-01-07")
    db.session.commit()
    again = record_bed_nights(staff, enrollments, "2026-01-07")
    db.session.commit()
    assert (len(first["recorded"]), len(again["recorded"]), len(again["already"])) == (3, 0, 3)
    assert db.session.query(Services).filter_by(record_type=200, type_provided=200).count() == 3
    with pytest.raises(RecordInvalid) as caught:
        record_bed_nights(staff, enrollments, "2026-01-01")
    assert len(caught.value.errors) == 3


def test_current_living_situation(staff, project, family):
    [enrollment] = enroll_household(staff, project, [(family[0], 1)], "2026-01-05")
    row = record_current_living_situation(staff, enrollment, {"information_date": "2026-01-09",
                                                              "current_living_situation": 116,
                                                              "location_details": "<b>Under the bridge</b>"})
    assert row.current_living_situation == 116 and row.location_details == "<b>Under the bridge</b>"
    with pytest.raises(RecordInvalid) as caught:
        record_current_living_situation(staff, enrollment, {"information_date": "2026-01-09",
                                                            "current_living_situation": 3})
    assert "current_living_situation" in caught.value.errors


def test_another_agency_can_neither_see_nor_change_our_clients(staff, project, family, make_account):
    other_org = make_organization("LO2", "Northside Outreach")
    outsider = actor_for(make_account(email="other@example.org", role="case_manager"), other_org)
    assert not search_clients(outsider, name="rosa diaz")
    assert search_clients(staff, name="rosa diaz")
    with pytest.raises(PermissionDenied):
        update_client(outsider, family[0], {"first_name": "Rose"})
    with pytest.raises(PermissionDenied):
        enroll_household(outsider, project, [(family[0], 1)], "2026-01-05")


# PostgreSQL only: SQLite serializes writers, so the row lock under test is a PostgreSQL matter.
@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_staff_exiting_at_once_write_one_exit(app, backend, staff, project, family):
    [enrollment] = enroll_household(staff, project, [(family[0], 1)], "2026-01-05")
    db.session.commit()
    enrollment_id = enrollment.id
    outcomes: list[str] = []
    barrier = threading.Barrier(2, timeout=20)

    def exit_once():
        with app.app_context():
            try:
                mine = db.session.get(Enrollment, enrollment_id)
                barrier.wait()
                exit_household(staff, [mine], "2026-02-01")
                db.session.commit()
                outcomes.append("saved")
            except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
                db.session.rollback()
                outcomes.append(f"{type(exc).__name__}: {exc}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=exit_once) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes)[1] == "saved" and "already exited" in sorted(outcomes)[0]
    assert db.session.query(Exit).count() == 1
