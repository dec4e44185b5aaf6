"""The product's own tables: data sources, staff accounts, jobs, imports, custom data."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class DataSource(db.Model):
    """A system records come from: this HMIS itself (``local``) or an imported export.

    HUD identifiers are unique only within a source, so two agencies' exports that
    both use PersonalID "1" stay two different people.
    """

    __tablename__ = "data_source"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)  #: ImplementationID/SourceID, or "local"
    name: Mapped[str] = mapped_column(String(200))
    created_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Account(db.Model):
    """A person who signs in to the product (HUD's User.csv is ``HudUser``)."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(40), default="case_manager")
    is_active: Mapped[bool] = mapped_column(default=True)
    failed_sign_ins: Mapped[int] = mapped_column(default=0)
    created_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_sign_in_dt: Mapped[datetime | None] = mapped_column(DateTime)
    locked_until_dt: Mapped[datetime | None] = mapped_column(DateTime)  #: after repeated failures


class Job(db.Model):
    """A user-visible background job; ``id`` is the RQ job id, so the UI can poll it."""

    __tablename__ = "job"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="queued")  #: queued, running, finished, failed
    progress: Mapped[int] = mapped_column(default=0)  #: percent
    message: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    created_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    started_dt: Mapped[datetime | None] = mapped_column(DateTime)
    finished_dt: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        CheckConstraint("status in ('queued', 'running', 'finished', 'failed')", name="status"),
    )


class ImportRun(db.Model):
    """One HMIS CSV import: what was uploaded, what the checks found, what was written."""

    __tablename__ = "import_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(400))
    stored_path: Mapped[str | None] = mapped_column(String(1000))  #: the upload, kept until imported
    status: Mapped[str] = mapped_column(String(20), default="uploaded")
    #: uploaded -> validated | rejected -> importing -> imported | failed
    csv_version: Mapped[str | None] = mapped_column(String(50))
    source_key: Mapped[str | None] = mapped_column(String(400))
    data_source_id: Mapped[int | None] = mapped_column(ForeignKey("data_source.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    job_id: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)  #: per-file counts
    error_count: Mapped[int] = mapped_column(default=0)
    warning_count: Mapped[int] = mapped_column(default=0)
    created_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    finished_dt: Mapped[datetime | None] = mapped_column(DateTime)


class ImportIssue(db.Model):
    """One problem found in an import, located by file, row and column."""

    __tablename__ = "import_issue"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_run.id", ondelete="CASCADE"))
    severity: Mapped[str] = mapped_column(String(20))  #: error (structural, rejects the import), warning, rejected_row
    file: Mapped[str] = mapped_column(String(100))
    row: Mapped[int | None] = mapped_column(Integer)  #: 1 is the header line
    column: Mapped[str | None] = mapped_column(String(100))
    value: Mapped[str | None] = mapped_column(String(200))
    rule: Mapped[str] = mapped_column(String(60))
    element: Mapped[str | None] = mapped_column(String(100))  #: HUD data element, e.g. 3.03 Date of Birth
    message: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index(None, "import_run_id", "severity", "file"),)


class CustomDataElementDefinition(db.Model):
    """A local question HUD does not define, with its value type."""

    __tablename__ = "custom_data_element_definition"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    label: Mapped[str] = mapped_column(String(300))
    owner_type: Mapped[str] = mapped_column(String(20))  #: client, enrollment, assessment
    value_type: Mapped[str] = mapped_column(String(20))  #: string, integer, decimal, date, boolean, choice
    code_list: Mapped[str | None] = mapped_column(String(100))
    repeats: Mapped[bool] = mapped_column(default=False)
    created_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("owner_type in ('client', 'enrollment', 'assessment')", name="owner_type"),
        CheckConstraint(
            "value_type in ('string', 'integer', 'decimal', 'date', 'boolean', 'choice')", name="value_type"
        ),
    )


class CustomDataElementValue(db.Model):
    """A typed value of a custom element, attached to a client, enrollment or assessment row.

    ``owner_id`` is the owner's surrogate ``id`` in the table ``owner_type`` names.
    """

    __tablename__ = "custom_data_element_value"

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("custom_data_element_definition.id"))
    owner_type: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[int] = mapped_column(Integer)
    value_string: Mapped[str | None] = mapped_column(Text)
    value_integer: Mapped[int | None] = mapped_column(Integer)
    value_decimal: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    value_date: Mapped[date | None] = mapped_column(Date)
    value_boolean: Mapped[bool | None] = mapped_column()
    data_collection_stage: Mapped[int | None] = mapped_column(Integer)
    information_date: Mapped[date | None] = mapped_column(Date)
    created_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index(None, "owner_type", "owner_id"),
        Index(None, "definition_id"),
        UniqueConstraint("definition_id", "owner_type", "owner_id", "data_collection_stage", "information_date"),
    )
