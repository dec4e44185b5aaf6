"""Annual assessment windows, the due lists, and scheduled work run for a given date."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from hmis.extensions import db
from hmis.models import IncomeBenefits
from hmis.models.workflows import DueItem, Notification, ScheduledRun
from hmis.records.ids import new_key
from hmis.workflows import scheduler
from hmis.workflows.due import anniversary, annual_due, annual_status

from .conftest import staff

START = date(2025, 3, 10)  # the head of household's project start


@pytest.mark.parametrize("today, expected", [
    (date(2025, 12, 1), None),                       # more than 30 days before the window opens
    (date(2026, 1, 15), ("due_soon", date(2026, 3, 10))),
    (date(2026, 2, 8), ("due", date(2026, 3, 10))),  # window opened on 8 February (anniversary - 30)
    (date(2026, 4, 9), ("due", date(2026, 3, 10))),  # last day of the window
    (date(2026, 4, 10), ("overdue", date(2026, 3, 10))),
    (date(2027, 2, 10), ("due", date(2027, 3, 10))),  # second year's window
])
def test_window_is_anniversary_plus_or_minus_30_days(today, expected):
    status = annual_status(START, today, [])
    assert (status and (status[0], status[1].anniversary)) == expected


def test_an_assessment_inside_the_window_clears_it():
    assert annual_status(START, date(2026, 4, 20), [date(2026, 2, 20)]) is None
    assert annual_status(START, date(2026, 4, 20), [date(2026, 1, 20)])[0] == "overdue"  # too early to count
    assert annual_status(START, date(2027, 1, 20), [date(2026, 3, 1)])[0] == "due_soon"


def test_leap_day_anniversary():
    assert anniversary(date(2024, 2, 29), 1) == date(2025, 3, 1)
    assert anniversary(date(2024, 2, 29), 4) == date(2028, 2, 29)


def test_project_due_list_uses_head_of_household_start(app, world):
    head, child, alone, fresh = (world.client(n) for n in ("Head", "Child", "Alone", "Fresh"))
    world.enroll(head, START, "HH", 1)
    world.enroll(child, date(2025, 9, 1), "HH", 2)  # joined later: still due on the head's anniversary
    assessed = world.enroll(alone, date(2025, 3, 20), "H2", 1)
    world.enroll(fresh, date(2026, 1, 1), "H3", 1)
    db.session.add(IncomeBenefits(data_source_id=world.source.id, income_benefits_id=new_key(),
                                  enrollment_id=assessed.enrollment_id, personal_id=assessed.personal_id,
                                  information_date=date(2026, 3, 1), data_collection_stage=5))
    db.session.commit()
    items = annual_due(staff(), world.project.id, date(2026, 4, 15))
    assert [(i.name.split()[0], i.status, i.window.anniversary) for i in items] == [
        ("Child", "overdue", date(2026, 3, 10)), ("Head", "overdue", date(2026, 3, 10))]
    items = annual_due(staff(), world.project.id, date(2026, 2, 25))  # before Alone's assessment of 1 March
    assert {i.name.split()[0]: i.status for i in items} == {"Head": "due", "Child": "due", "Alone": "due"}
    items = annual_due(staff(), world.project.id, date(2026, 3, 1))
    assert {i.name.split()[0]: i.status for i in items} == {"Head": "due", "Child": "due"}


def test_scheduled_run_for_a_date_is_recorded_once(app, world):
    from hmis.models.privacy import Consent

    person = world.client("Head")
    world.enroll(person, START, "HH", 1)
    db.session.add(Consent(client_id=person.id, status="granted", all_organizations=True, start_date=date(2025, 1, 1),
                           end_date=date(2026, 4, 30), documentation="signed"))
    db.session.commit()

    runs = scheduler.run(date(2026, 4, 15))
    db.session.commit()
    assert {r.task: r.status for r in runs} == {"annual_due": "finished", "consent_expirations": "finished",
                                                "data_quality": "finished"}, [r.error for r in runs]
    by_task = {r.task: r.result for r in runs}
    assert by_task["annual_due"]["overdue"] == 1
    assert by_task["consent_expirations"] == {"expiring": 1, "new_due_items": 1}
    assert by_task["data_quality"]["open_enrollments"] == 1
    due = db.session.scalars(select(DueItem).order_by(DueItem.kind)).all()
    assert [(d.kind, d.due_date, d.status) for d in due] == [
        ("annual_assessment", date(2026, 3, 10), "open"), ("consent_expiration", date(2026, 4, 30), "open")]
    assert db.session.scalar(select(Notification.queue).where(Notification.queue.like("project-%"))) is not None

    again = scheduler.run(date(2026, 4, 15))
    db.session.commit()
    assert [r.id for r in again] == [r.id for r in runs]
    assert db.session.scalar(select(db.func.count()).select_from(ScheduledRun)) == 3

    # The assessment arrives: the next night closes the due item.
    enrollment_key = db.session.scalar(select(db.text("enrollment_id")).select_from(db.text("enrollment")))
    db.session.add(IncomeBenefits(data_source_id=world.source.id, income_benefits_id=new_key(),
                                  enrollment_id=enrollment_key, personal_id=person.personal_id,
                                  information_date=date(2026, 4, 5), data_collection_stage=5))
    db.session.commit()
    scheduler.run(date(2026, 4, 16), ["annual_due"])
    db.session.commit()
    assert db.session.scalar(select(DueItem.status).where(DueItem.kind == "annual_assessment")) == "done"


def test_a_failing_task_is_recorded_and_the_others_run(app, world, monkeypatch):
    def broken(actor, today):
        raise RuntimeError("report engine unavailable")

    monkeypatch.setitem(scheduler.TASKS, "data_quality", broken)
    runs = {r.task: r for r in scheduler.run(date(2026, 4, 15))}
    db.session.commit()
    assert runs["data_quality"].status == "failed" and "report engine unavailable" in runs["data_quality"].error
    assert runs["annual_due"].status == "finished"


def test_schedule_cli_with_a_date(cli_runner):
    from hmis.cli import cli

    result = cli_runner.invoke(cli, ["schedule", "run", "--today", "2026-04-15"])
    assert result.exit_code == 0, result.output
    assert "annual_due 2026-04-15: finished" in result.output
    assert "data_quality 2026-04-15: finished" in result.output
    bad = cli_runner.invoke(cli, ["schedule", "run", "--today", "15/04/2026"])
    assert bad.exit_code == 2 and "is not a date" in bad.output
    listed = cli_runner.invoke(cli, ["schedule", "list"])
    assert listed.exit_code == 0 and "2026-04-15 consent_expirations: finished" in listed.output
    queued = cli_runner.invoke(cli, ["schedule", "enqueue", "--today", "2026-04-16", "--task", "data_quality"])
    assert queued.exit_code == 0 and "finished" in queued.output, queued.output


def test_workflow_cli(cli_runner):
    from hmis.cli import cli

    listed = cli_runner.invoke(cli, ["workflow", "list"])
    assert listed.exit_code == 0 and "no published workflows" in listed.output
    synced = cli_runner.invoke(cli, ["definitions", "sync", "workflows"])
    assert synced.exit_code == 0, synced.output
    listed = cli_runner.invoke(cli, ["workflow", "list"])
    assert "project-intake v1: Project intake (0 active)" in listed.output, listed.output
    due = cli_runner.invoke(cli, ["workflow", "due", "12345", "--today", "2026-01-01"])
    assert due.exit_code == 0 and due.output == ""


def test_nightly_run_starts_the_data_quality_report_after_commit(app, world):
    from pathlib import Path

    from hmis.models.reports import ReportRun

    from .conftest import publish

    root = Path(__file__).resolve().parents[2]
    publish("report", "data-quality", (root / "report_definitions" / "data-quality.yaml").read_text())
    runs = {r.task: r for r in scheduler.run_and_commit(date(2026, 4, 15), ["data_quality"])}
    report_run = db.session.get(ReportRun, runs["data_quality"].result["report_run_id"])
    assert report_run.report_key == "data-quality"
    assert report_run.parameters["end"] == "2026-04-15"
    again = scheduler.run_and_commit(date(2026, 4, 15), ["data_quality"])
    assert again[0].result["report_run_id"] == report_run.id  # once per night
    assert db.session.scalar(select(db.func.count()).select_from(ReportRun)) == 1
