"""The audit log: who looked at or changed what, and when. Rows are only ever added."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .core import utcnow


class AuditEvent(db.Model):
    """One thing a person (or the system) did: a sign-in, a client viewed, a record changed, an export.

    Append-only: the migration installs triggers that refuse UPDATE and DELETE on
    both backends; in production the database role the app uses should also lack
    UPDATE and DELETE grants on this table. ``account_email`` is copied so the event
    still says who it was after the account changes.
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)  #: UTC
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    account_email: Mapped[str | None] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(80), index=True)  #: 'sign_in', 'client.view', 'export.request', ...
    subject_type: Mapped[str | None] = mapped_column(String(40))  #: 'client', 'import_run', 'job', ...
    subject_id: Mapped[str | None] = mapped_column(String(100))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)  #: before/after values, parameters; never a password

    __table_args__ = (
        # One record's events (a client's profile history, the audit page's subject filter)
        # without reading the whole log.
        Index("ix_audit_event_subject", "subject_type", "subject_id", "occurred_dt"),
    )
