"""Bulk bed nights: one statement, all or nothing, with the inventory beside the count."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from hmis.access.operations import PermissionDenied
from hmis.extensions import db
from hmis.models import Exit, Services
from hmis.records.ids import new_key
from hmis.workflows import checkin
from hmis.workflows.checkin import CheckInRefused

from .conftest import staff

NIGHT = date(2026, 11, 20)


def bed_nights() -> list[tuple[str, date, int, int]]:
    return [tuple(r) for r in db.session.execute(
        select(Services.enrollment_id, Services.date_provided, Services.record_type, Services.type_provided))]


def test_check_in_many_then_refuse_duplicates(app, world):
    rows = world.many(25, date(2026, 11, 1))
    db.session.commit()
    result = checkin.check_in(staff(), world.project.id, NIGHT, [r.id for r in rows])
    db.session.commit()
    assert (result.created, result.beds, result.occupied) == (25, 40, 25)
    assert sorted(bed_nights()) == sorted((r.enrollment_id, NIGHT, 200, 200) for r in rows)

    with pytest.raises(CheckInRefused, match="already checked in for 2026-11-20") as refused:
        checkin.check_in(staff(), world.project.id, NIGHT, [rows[0].id, rows[1].id])
    assert len(refused.value.problems) == 2
    db.session.rollback()
    assert len(bed_nights()) == 25

    roster = checkin.roster(staff(), world.project.id, NIGHT)
    assert len(roster) == 25 and all(r.checked_in for r in roster)
    assert not any(r.checked_in for r in checkin.roster(staff(), world.project.id, date(2026, 11, 21)))


def test_enrollments_not_open_that_night_refuse_the_whole_batch(app, world):
    fine = world.enroll(world.client("Fine"), date(2026, 11, 1))
    late = world.enroll(world.client("Late"), date(2026, 11, 21))
    left = world.enroll(world.client("Left"), date(2026, 11, 1))
    db.session.add(Exit(data_source_id=world.source.id, exit_id=new_key(), enrollment_id=left.enrollment_id,
                        personal_id=left.personal_id, exit_date=NIGHT, destination=410))
    from .conftest import World

    elsewhere = World(name="Other").enroll(world.client("Away"), date(2026, 11, 1))
    db.session.commit()
    with pytest.raises(CheckInRefused) as refused:
        checkin.check_in(staff(), world.project.id, NIGHT, [fine.id, late.id, left.id, elsewhere.id, fine.id, 999999])
    text = str(refused.value)
    assert "Nobody was checked in" in text
    assert f"enrollment {late.id}) had not started on 2026-11-20" in text
    assert f"enrollment {left.id}) had exited on 2026-11-20" in text
    assert f"enrollment {elsewhere.id}) is not enrolled in this project" in text
    assert f"enrollment {fine.id} is listed twice" in text
    assert "enrollment 999999 does not exist" in text
    db.session.rollback()
    assert bed_nights() == []


def test_check_in_needs_services_permission(app, world):
    row = world.enroll(world.client(), date(2026, 11, 1))
    db.session.commit()
    with pytest.raises(PermissionDenied):
        checkin.check_in(staff("intake"), world.project.id, NIGHT, [row.id])


def test_inventory_counts_only_rows_active_that_night(app, world):
    from hmis.models import Inventory

    db.session.add(Inventory(data_source_id=world.source.id, inventory_id=new_key(), project_id=world.project.project_id,
                             bed_inventory=10, inventory_start_date=date(2026, 12, 1)))
    db.session.add(Inventory(data_source_id=world.source.id, inventory_id=new_key(), project_id=world.project.project_id,
                             bed_inventory=5, inventory_start_date=date(2025, 1, 1), inventory_end_date=date(2026, 11, 30)))
    db.session.commit()
    assert checkin.beds(world.project, NIGHT) == 45
    assert checkin.beds(world.project, date(2026, 12, 2)) == 50


def test_one_insert_statement_for_the_batch(app, world):
    from sqlalchemy import event

    rows = world.many(50, date(2026, 11, 1))
    db.session.commit()
    inserts = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO SERVICES"):
            inserts.append(executemany)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        checkin.check_in(staff(), world.project.id, NIGHT, [r.id for r in rows])
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert inserts == [False]
    assert db.session.scalar(select(func.count()).select_from(Services)) == 50


def test_check_in_page_end_to_end(app, world, signed_in):
    rows = world.many(3, date(2026, 11, 1))
    db.session.commit()
    page = signed_in.get(f"/workflows/check-in/{world.project.id}?night=2026-11-20")
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html[:500]
    assert "Guest0000" in html and "40" in html and "beds" in html
    response = signed_in.post(f"/workflows/check-in/{world.project.id}",
                              data={"night": "2026-11-20", "enrollment_id": [str(r.id) for r in rows]})
    assert response.status_code in (302, 303)
    after = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Checked in 3" in after and "3 of 40" in after
    again = signed_in.post(f"/workflows/check-in/{world.project.id}",
                           data={"night": "2026-11-20", "enrollment_id": [str(rows[0].id)]})
    assert again.status_code == 422 and "already checked in" in again.get_data(as_text=True)


def test_staff_of_another_agency_cannot_check_in(app, world):
    row = world.enroll(world.client(), date(2026, 11, 1))
    db.session.commit()
    with pytest.raises(PermissionDenied, match="Only the agency that runs this project"):
        checkin.check_in(staff(organization_ids=frozenset()), world.project.id, NIGHT, [row.id])


def test_three_hundred_guests_end_to_end_under_three_seconds(app, world, signed_in):
    import time

    rows = world.many(300, date(2026, 11, 1))
    db.session.commit()
    began = time.perf_counter()
    page = signed_in.get(f"/workflows/check-in/{world.project.id}?night=2026-11-20")
    ids = [chunk.split('"', 1)[0] for chunk in page.get_data(as_text=True).split('name="enrollment_id" value="')[1:]]
    done = signed_in.post(f"/workflows/check-in/{world.project.id}", data={"night": "2026-11-20", "enrollment_id": ids},
                          follow_redirects=True)
    elapsed = time.perf_counter() - began
    assert len(ids) == 300 and "Checked in 300 " in done.get_data(as_text=True)
    assert elapsed < 3.0, f"{elapsed:.2f} s"
    assert db.session.scalar(select(func.count()).select_from(Services)) == len(rows)


def test_two_staff_checking_in_the_same_guest_at_once(app_factory, backend):
    """The project lock serializes them: one writes the bed night, the other is told it exists."""
    import threading

    from .conftest import World

    app = app_factory(backend)
    with app.app_context():
        world = World()
        enrollment_id = world.many(1, date(2026, 11, 1))[0].id
        project_id = world.project.id
        db.session.commit()
    barrier, outcomes = threading.Barrier(2), []

    def check_in_now() -> None:
        with app.app_context():
            barrier.wait()
            try:
                checkin.check_in(staff("hmis_lead"), project_id, NIGHT, [enrollment_id])
                db.session.commit()
                outcomes.append("won")
            except CheckInRefused as refused:
                db.session.rollback()
                outcomes.append(f"told: {refused}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=check_in_now) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(o.split(":")[0] for o in outcomes) == ["told", "won"], outcomes
    assert "already checked in" in [o for o in outcomes if o.startswith("told")][0]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Services)) == 1
