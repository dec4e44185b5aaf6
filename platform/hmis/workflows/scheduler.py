"""Scheduled work: annual assessments coming due, consent expirations, the nightly data-quality run.

Each task is a plain function of *the date it runs for*, so a test (or an HMIS lead
catching up after downtime) passes a date instead of waiting for the clock::

    hmis schedule run --today 2026-12-01           # every task, for that date
    hmis schedule run --task annual_due            # one task, for today
    hmis schedule enqueue                          # the same, as a background job (RQ)

Production runs ``hmis schedule run`` (or ``enqueue``, with workers) once a night from
cron or a systemd timer. A task runs at most once per date: its :class:`ScheduledRun`
row (unique on task and date) records the outcome, and a second run that day reports
the first instead of repeating it (``--force`` repeats it). Each task runs in a
savepoint, so one failing task leaves the others' work and is recorded as failed.
"""
from __future__ import annotations

import importlib
import inspect
import traceback
from datetime import date, timedelta
from typing import Any, Callable

from sqlalchemy import and_, func, or_, select

from ..access.operations import Actor, operation, system_actor
from ..extensions import db
from ..models import Client, Enrollment, Exit, Project
from ..models.core import utcnow
from ..models.workflows import DueItem, Notification, ScheduledRun

Task = Callable[[Actor, date], dict[str, Any]]
TASKS: dict[str, Task] = {}

CONSENT_NOTICE_DAYS = 30


def task(name: str) -> Callable[[Task], Task]:
    """Register a task; it is also a service operation (``schedule.<name>``), because a
    workflow step's ``enqueue_job`` runs it as the person who took the step."""
    def register(func: Task) -> Task:
        checked = operation(f"schedule.{name}", permission="workflows.run")(func)
        TASKS[name] = checked
        return checked
    return register


@task("annual_due")
def annual_due_task(actor: Actor, today: date) -> dict[str, Any]:
    """Keep one open due item per member whose annual assessment is due soon, due or overdue."""
    from .due import annual_due

    counts = {"due_soon": 0, "due": 0, "overdue": 0, "closed": 0}
    project_ids = db.session.scalars(select(Project.id).join(
        Enrollment, and_(Enrollment.data_source_id == Project.data_source_id,
                         Enrollment.project_id == Project.project_id)).distinct()).all()
    still_due: set[tuple[str, date]] = set()
    for project_id in project_ids:
        overdue_here = 0
        for item in annual_due(actor, project_id, today):
            counts[item.status] += 1
            overdue_here += item.status == "overdue"
            key = (str(item.enrollment_id), item.window.anniversary)
            still_due.add(key)
            if db.session.scalar(select(DueItem.id).where(
                    DueItem.kind == "annual_assessment", DueItem.subject_type == "enrollment",
                    DueItem.subject_key == key[0], DueItem.due_date == key[1])) is None:
                db.session.add(DueItem(kind="annual_assessment", subject_type="enrollment", subject_key=key[0],
                                       project_id=project_id, title=f"Annual assessment: {item.name}",
                                       due_date=item.window.anniversary, window_start=item.window.start,
                                       window_end=item.window.end, status="open"))
        if overdue_here:
            db.session.add(Notification(queue=f"project-{project_id}",
                                        message=f"{overdue_here} annual assessment(s) overdue on {today.isoformat()}"))
    # An open item that is no longer due was assessed (or its client exited): close it.
    for item in db.session.scalars(select(DueItem).where(DueItem.kind == "annual_assessment",
                                                         DueItem.status == "open")):
        if (item.subject_key, item.due_date) not in still_due:
            item.status = "done"
            counts["closed"] += 1
    db.session.flush()
    return counts


@task("consent_expirations")
def consent_expirations_task(actor: Actor, today: date) -> dict[str, Any]:
    """Due items for consents that end within 30 days (renew or let lapse), one per consent end."""
    expiring = _expiring_consents(today, CONSENT_NOTICE_DAYS)
    created = 0
    for client_id, end_date in expiring:
        if db.session.scalar(select(DueItem.id).where(
                DueItem.kind == "consent_expiration", DueItem.subject_type == "client",
                DueItem.subject_key == str(client_id), DueItem.due_date == end_date)) is None:
            db.session.add(DueItem(kind="consent_expiration", subject_type="client", subject_key=str(client_id),
                                   title="Consent to share ends: renew or record a refusal", due_date=end_date,
                                   status="open"))
            created += 1
    if created:
        db.session.add(Notification(queue="consents", message=f"{created} consent(s) end within "
                                                              f"{CONSENT_NOTICE_DAYS} days of {today.isoformat()}"))
    db.session.flush()
    return {"expiring": len(expiring), "new_due_items": created}


def _expiring_consents(today: date, within_days: int) -> list[tuple[int, date]]:
    """(client id, end date) of granted consents ending soon: the privacy room's function if present."""
    try:
        consent = importlib.import_module("hmis.access.consent")
    except ModuleNotFoundError:
        consent = None
    expiring = getattr(consent, "expiring", None)
    if expiring is not None:
        kwargs = {"today": today} if "today" in inspect.signature(expiring).parameters else {}
        return [(row.client_id, row.end_date) for row in expiring(within_days, **kwargs)]
    from ..models.privacy import Consent

    rows = db.session.execute(select(Consent.client_id, Consent.end_date).where(
        Consent.status == "granted", Consent.revoked_dt.is_(None), Consent.end_date.is_not(None),
        Consent.end_date >= today, Consent.end_date <= today + timedelta(days=within_days))).all()
    return [(client_id, end) for client_id, end in rows]


@task("data_quality")
def data_quality_task(actor: Actor, today: date) -> dict[str, Any]:
    """The nightly data-quality summary; the full HUD data-quality report is queued after commit."""
    return data_quality_summary(today)


def data_quality_summary(today: date) -> dict[str, Any]:
    """A small summary of HUD's commonest gaps, counted over enrollments open on ``today``."""
    open_now = (select(Enrollment).outerjoin(Exit, and_(Exit.data_source_id == Enrollment.data_source_id,
                                                        Exit.enrollment_id == Enrollment.enrollment_id))
                .where(Enrollment.entry_date <= today, or_(Exit.exit_date.is_(None), Exit.exit_date > today),
                       Enrollment.date_deleted.is_(None)).subquery())
    clients = (select(Client).join(open_now, and_(open_now.c.data_source_id == Client.data_source_id,
                                                  open_now.c.personal_id == Client.personal_id))
               .distinct().subquery())

    def count(statement) -> int:
        return db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0

    unknown = (8, 9, 99)
    return {
        "as_of": today.isoformat(),
        "open_enrollments": count(select(open_now.c.id)),
        "clients_missing_dob": count(select(clients.c.id).where(or_(clients.c.dob.is_(None),
                                                                    clients.c.dob_data_quality.in_(unknown)))),
        "clients_missing_ssn": count(select(clients.c.id).where(or_(clients.c.ssn.is_(None),
                                                                    clients.c.ssn_data_quality.in_(unknown)))),
        "enrollments_missing_disabling_condition": count(select(open_now.c.id).where(
            or_(open_now.c.disabling_condition.is_(None), open_now.c.disabling_condition.in_(unknown)))),
        "enrollments_missing_relationship": count(select(open_now.c.id).where(
            or_(open_now.c.relationship_to_hoh.is_(None), open_now.c.relationship_to_hoh == 99))),
        "exits_missing_destination_last_30_days": count(select(Exit.id).where(
            Exit.exit_date > today - timedelta(days=30), Exit.exit_date <= today,
            or_(Exit.destination.is_(None), Exit.destination.in_((8, 9, 17, 30, 99))))),
    }


def run(today: date | None = None, tasks: list[str] | None = None, *, force: bool = False,
        actor: Actor | None = None) -> list[ScheduledRun]:
    """Run ``tasks`` (all by default) for ``today``; flushes, the caller commits."""
    today = today or date.today()
    actor = actor or system_actor("scheduler")
    unknown = [name for name in tasks or () if name not in TASKS]
    if unknown:
        raise ValueError(f"unknown task {', '.join(unknown)}; tasks are {', '.join(TASKS)}")
    runs = []
    for name in tasks or list(TASKS):
        existing = db.session.scalar(select(ScheduledRun).where(ScheduledRun.task == name,
                                                                ScheduledRun.run_date == today))
        if existing is not None and not force and existing.status == "finished":
            runs.append(existing)
            continue
        record = existing or ScheduledRun(task=name, run_date=today)
        record.status, record.started_dt, record.error, record.result = "running", utcnow(), None, None
        db.session.add(record)
        db.session.flush()
        try:
            with db.session.begin_nested():
                result = TASKS[name](actor, today)
        except Exception as exc:  # noqa: BLE001 - recorded on the run; other tasks go on
            record.status, record.error = "failed", f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
        else:
            record.status, record.result = "finished", result
        record.finished_dt = utcnow()
        db.session.flush()
        runs.append(record)
    return runs


def run_and_commit(today: date | None = None, tasks: list[str] | None = None, *,
                   force: bool = False) -> list[ScheduledRun]:
    """:func:`run`, commit, then start the reports room's ``data-quality`` report for the night.

    The report run is a job of its own (it commits), so it starts only once the scheduled
    work is committed; its id is kept on the data-quality run's result.
    """
    runs = run(today, tasks, force=force)
    db.session.commit()
    for record in runs:
        if record.task == "data_quality" and record.status == "finished" and "report_run_id" not in record.result:
            extra = _start_data_quality_report(record.run_date)
            if extra:
                record.result = {**record.result, **extra}
                db.session.commit()
    return runs


def _start_data_quality_report(day: date) -> dict[str, Any]:
    """Queue HUD's data-quality report over the year ending ``day``, if it is published."""
    from ..definitions import service

    if service.published("report", "data-quality") is None:
        return {}
    from ..reports.service import start_run

    try:
        report_run = start_run(system_actor("scheduler"), "data-quality",
                               {"start": (day - timedelta(days=364)).isoformat(), "end": day.isoformat()})
    except Exception as exc:  # noqa: BLE001 - the nightly summary stands; say why the report did not start
        db.session.rollback()
        return {"report_error": f"{type(exc).__name__}: {exc}"}
    return {"report_run_id": report_run.id}


def run_job(tasks: list[str] | None, today_iso: str | None, force: bool = False) -> dict[str, Any]:
    """The background-job form of :func:`run_and_commit` (takes plain values)."""
    runs = run_and_commit(date.fromisoformat(today_iso) if today_iso else None, tasks, force=force)
    return {run.task: run.status for run in runs}


def enqueue_task(task_name: str | None, today: date | None = None, *, account_id: int | None = None):
    """Queue scheduled work as a job (RQ with Redis, inline without)."""
    from ..jobs import enqueue

    tasks = [task_name] if task_name else None
    title = f"Scheduled work: {task_name or 'all tasks'} for {(today or date.today()).isoformat()}"
    return enqueue(run_job, tasks, today.isoformat() if today else None, kind="schedule", title=title,
                   account_id=account_id)
