"""``hmis schedule ...`` (scheduled work) and ``hmis workflow ...`` (published workflows, due lists)."""
from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from ..extensions import db


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


@click.group("schedule")
def schedule_group() -> None:
    """Scheduled work: annual assessments due, consent expirations, nightly data quality."""


@schedule_group.command("run")
@click.option("--today", callback=_date, help="Run as if today were this date (YYYY-MM-DD).")
@click.option("--task", "tasks", multiple=True, help="Only this task (repeatable).")
@click.option("--force", is_flag=True, help="Run again even if it already ran for that date.")
@with_appcontext
def schedule_run(today: date | None, tasks: tuple[str, ...], force: bool) -> None:
    """Run the scheduled tasks now, in this process (cron this nightly)."""
    from .scheduler import TASKS, run_and_commit

    unknown = [t for t in tasks if t not in TASKS]
    if unknown:
        raise click.BadParameter(f"unknown task {', '.join(unknown)}; tasks are {', '.join(TASKS)}",
                                 param_hint="--task")
    runs = run_and_commit(today, list(tasks) or None, force=force)
    failed = False
    for record in runs:
        click.echo(f"{record.task} {record.run_date.isoformat()}: {record.status} {record.result or record.error or ''}")
        failed |= record.status == "failed"
    if failed:
        raise SystemExit(1)


@schedule_group.command("enqueue")
@click.option("--today", callback=_date, help="Run as if today were this date (YYYY-MM-DD).")
@click.option("--task", default=None, help="Only this task.")
@with_appcontext
def schedule_enqueue(today: date | None, task: str | None) -> None:
    """Queue the scheduled tasks as a background job (workers run it; inline without Redis)."""
    from .scheduler import enqueue_task

    job = enqueue_task(task, today)
    click.echo(f"job {job.id} {job.status}")


@schedule_group.command("list")
@click.option("--limit", default=20, show_default=True)
@with_appcontext
def schedule_list(limit: int) -> None:
    """The latest scheduled runs."""
    from ..models.workflows import ScheduledRun

    for record in db.session.scalars(select(ScheduledRun).order_by(ScheduledRun.run_date.desc(), ScheduledRun.task)
                                     .limit(limit)):
        click.echo(f"{record.run_date.isoformat()} {record.task}: {record.status} {record.result or record.error or ''}")


@click.group("workflow")
def workflow_group() -> None:
    """Published workflows and their instances."""


@workflow_group.command("list")
@with_appcontext
def workflow_list() -> None:
    """Published workflows with how many instances are active."""
    from ..models.definitions import Definition, DefinitionVersion
    from ..models.workflows import WorkflowInstance

    active = dict(db.session.execute(select(WorkflowInstance.workflow_key, func.count())
                                     .where(WorkflowInstance.status == "active")
                                     .group_by(WorkflowInstance.workflow_key)).all())
    rows = db.session.execute(select(Definition.key, Definition.title, DefinitionVersion.version)
                              .join(DefinitionVersion).where(Definition.kind == "workflow",
                                                             DefinitionVersion.status == "published")
                              .order_by(Definition.key)).all()
    if not rows:
        click.echo("no published workflows (publish them with: hmis definitions sync workflows)")
    for key, title, version in rows:
        click.echo(f"{key} v{version}: {title} ({active.get(key, 0)} active)")


@workflow_group.command("due")
@click.argument("project_id", type=int)
@click.option("--today", callback=_date, help="As of this date (YYYY-MM-DD).")
@with_appcontext
def workflow_due(project_id: int, today: date | None) -> None:
    """Annual assessments overdue, due and due soon in project PROJECT_ID (its numeric id)."""
    from ..access.operations import system_actor
    from .due import annual_due

    for item in annual_due(system_actor("cli"), project_id, today or date.today()):
        click.echo(f"{item.status:9} {item.window.start.isoformat()}..{item.window.end.isoformat()} {item.name}")
