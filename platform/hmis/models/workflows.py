"""Tables of the workflows room: running workflows, their history, due items, notices, scheduled runs.

A workflow *definition* lives in the definitions store (kind ``workflow``); a
:class:`WorkflowInstance` is one run of one published version of it for one household,
enrollment, client or project. ``revision`` grows by one on every step taken and is
the instance's optimistic lock: a step is saved only if the revision the person saw is
still the current one, so of two staff advancing the same instance at once one wins and
the other is told (see :mod:`hmis.workflows.engine`).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .core import utcnow


class WorkflowInstance(db.Model):
    """One run of a workflow: where it stands, what was collected, who started it."""

    __tablename__ = "workflow_instance"

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_key: Mapped[str] = mapped_column(String(100))  #: the definition's id, e.g. ``project-intake``
    definition_version_id: Mapped[int] = mapped_column(ForeignKey("definition_version.id"))
    subject_type: Mapped[str] = mapped_column(String(20))  #: household, enrollment, client, project
    subject_key: Mapped[str | None] = mapped_column(String(100))  #: e.g. a HouseholdID or an enrollment's id
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"))  #: surrogate id, when known
    step: Mapped[str] = mapped_column(String(100))  #: the step waiting to be done (or the end step)
    status: Mapped[str] = mapped_column(String(20), default="active")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  #: values collected so far
    revision: Mapped[int] = mapped_column(Integer, default=1)
    started_by: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    created_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    completed_dt: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        CheckConstraint("status in ('active', 'completed', 'cancelled')", name="status"),
        Index(None, "workflow_key", "status"),
        Index(None, "subject_type", "subject_key"),
        Index(None, "project_id"),
    )


class WorkflowStepRecord(db.Model):
    """Who did which step of an instance, when, with what values; one row per revision."""

    __tablename__ = "workflow_step_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("workflow_instance.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)  #: the instance revision this step produced
    step: Mapped[str] = mapped_column(String(100))
    to_step: Mapped[str | None] = mapped_column(String(100))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(200))
    values: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    done_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    # A second writer that slipped past the revision check cannot record the same revision.
    __table_args__ = (UniqueConstraint("instance_id", "revision"),)


class DueItem(db.Model):
    """Something due for a subject by a date: an annual assessment, a consent renewal, a follow-up."""

    __tablename__ = "due_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  #: annual_assessment, consent_expiration, follow_up, ...
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_key: Mapped[str] = mapped_column(String(100))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("workflow_instance.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300))
    due_date: Mapped[date] = mapped_column(Date)
    window_start: Mapped[date | None] = mapped_column(Date)
    window_end: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("kind", "subject_type", "subject_key", "due_date"),
        CheckConstraint("status in ('open', 'done', 'cancelled')", name="status"),
        Index(None, "project_id", "status", "due_date"),
    )


class Notification(db.Model):
    """A notice for one account or for a named work queue (``ce-referrals``)."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    queue: Mapped[str | None] = mapped_column(String(100), index=True)
    message: Mapped[str] = mapped_column(Text)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("workflow_instance.id", ondelete="SET NULL"))
    created_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    read_dt: Mapped[datetime | None] = mapped_column(DateTime)


class ScheduledRun(db.Model):
    """One run of a scheduled task for one date; the unique key makes a second run that day a no-op."""

    __tablename__ = "scheduled_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(60))
    run_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="running")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    started_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_dt: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        UniqueConstraint("task", "run_date"),
        CheckConstraint("status in ('running', 'finished', 'failed')", name="status"),
    )
