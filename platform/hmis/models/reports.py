"""Tables of the reports room (see its migration): stored report runs."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .core import utcnow


class ReportRun(db.Model):
    """One run of a report definition: what was asked, by whom, of which version, and the answer.

    The run keeps its own copy of the results (every table's cells) so it can be shown,
    compared and exported later even after the definition or the data changed.
    """

    __tablename__ = "report_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_key: Mapped[str] = mapped_column(String(100), index=True)  #: the definition's id, e.g. ``apr``
    definition_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("definition_version.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column()  #: the definition's version number when run
    title: Mapped[str] = mapped_column(String(300))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)  #: start, end, coc, projects, ... as text
    status: Mapped[str] = mapped_column(String(20), default="queued")  #: queued, running, finished, failed
    results: Mapped[dict[str, Any] | None] = mapped_column(JSON)  #: {"tables": [...]}
    error: Mapped[str | None] = mapped_column(Text)
    job_id: Mapped[str | None] = mapped_column(String(64))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"), index=True)
    created_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    finished_dt: Mapped[datetime | None] = mapped_column(DateTime)
