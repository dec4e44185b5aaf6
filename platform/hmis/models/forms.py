"""Tables of the forms room (see its migration): saved form responses.

A :class:`FormResponse` is one filled-in form for one client (and usually one
enrollment): its answers as entered, the exact definition version (and the fragment
versions) it was entered with, so it always renders as it was, and a revision number
for optimistic concurrency, so two staff saving the same assessment never silently
overwrite each other.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, DateTime, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .core import utcnow
from .definitions import DefinitionVersion


#: Stages filled once per enrollment: a second response would be a second intake.
ONCE_STAGES = ("project_start", "exit", "post_exit")
_ONCE = text("stage in ('project_start', 'exit', 'post_exit') and enrollment_id is not null")


class FormResponse(db.Model):
    """One form filled in for one client: a draft, or submitted (written to HUD rows)."""

    __tablename__ = "form_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    form_key: Mapped[str] = mapped_column(String(100))
    definition_version_id: Mapped[int] = mapped_column(ForeignKey("definition_version.id", ondelete="RESTRICT"))
    #: ``{fragment key: definition version id}`` the form was compiled with
    fragment_versions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"))
    enrollment_id: Mapped[int | None] = mapped_column(ForeignKey("enrollment.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(20))  #: project_start, update, annual, exit, post_exit, ...
    information_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="draft")  #: draft, submitted
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  #: item id -> answer (JSON form)
    #: the HUD rows a submission wrote, so a corrected resubmission updates them: ``{"File|key": row id}``
    written: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    revision: Mapped[int] = mapped_column(default=1)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    created_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    updated_by_name: Mapped[str | None] = mapped_column(String(200))
    updated_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    submitted_dt: Mapped[datetime | None] = mapped_column(DateTime)

    definition_version: Mapped[DefinitionVersion] = relationship()

    __table_args__ = (
        CheckConstraint("status in ('draft', 'submitted')", name="status"),
        CheckConstraint("revision >= 1", name="revision"),
        Index(None, "enrollment_id", "stage"),
        Index(None, "client_id"),
        # One intake (exit, post-exit) per enrollment and form, even when two people start
        # it at the same moment on two web processes.
        Index("ix_form_response_once_per_enrollment", "enrollment_id", "form_key", "stage", unique=True,
              postgresql_where=_ONCE, sqlite_where=_ONCE),
    )

    def __repr__(self) -> str:
        return f"<FormResponse {self.id} {self.form_key} {self.status} r{self.revision}>"
