"""Versioned definitions: forms, workflows, reports and admin settings as data.

A :class:`Definition` is the stable identity (``form`` ``hud-intake``); each edit is a
:class:`DefinitionVersion`, numbered 1, 2, 3... within its definition. Versions are
never rewritten once published, so a saved form response pointing at a version renders
exactly as it was entered. At most one version of a definition is published; the
service layer keeps that rule and a partial unique index makes it impossible to break,
even by two publishes racing on two web processes.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .core import utcnow

_PUBLISHED = text("status = 'published'")


class Definition(db.Model):
    """One definition's identity across its versions; ``title`` follows the published version."""

    __tablename__ = "definition"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  #: form, workflow, report, admin
    key: Mapped[str] = mapped_column(String(100))  #: the document's ``id``, e.g. ``hud-intake``
    title: Mapped[str] = mapped_column(String(300))
    created_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    versions: Mapped[list[DefinitionVersion]] = relationship(
        back_populates="definition", order_by="DefinitionVersion.version", cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __table_args__ = (
        UniqueConstraint("kind", "key"),
        CheckConstraint("kind in ('form', 'workflow', 'report', 'admin')", name="kind"),
    )

    def __repr__(self) -> str:
        return f"<Definition {self.kind} {self.key!r}>"


class DefinitionVersion(db.Model):
    """One version of a definition: draft (editable), published (in use) or retired."""

    __tablename__ = "definition_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("definition.id", ondelete="CASCADE"))
    version: Mapped[int]  #: 1, 2, 3... within the definition
    status: Mapped[str] = mapped_column(String(20), default="draft")  #: draft, published, retired
    body: Mapped[dict[str, Any]] = mapped_column(JSON)  #: the parsed document
    source_text: Mapped[str] = mapped_column(Text)  #: as written (YAML or JSON), for the editor
    checksum: Mapped[str] = mapped_column(String(64))  #: SHA-256 of the normalized body
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    created_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    published_dt: Mapped[datetime | None] = mapped_column(DateTime)
    retired_dt: Mapped[datetime | None] = mapped_column(DateTime)

    definition: Mapped[Definition] = relationship(back_populates="versions")

    __table_args__ = (
        UniqueConstraint("definition_id", "version"),
        CheckConstraint("status in ('draft', 'published', 'retired')", name="status"),
        CheckConstraint("version >= 1", name="version"),
        # One published version per definition, enforced by the database itself.
        Index("ix_definition_version_one_published", "definition_id", unique=True,
              postgresql_where=_PUBLISHED, sqlite_where=_PUBLISHED),
    )

    @property
    def label(self) -> str:
        """``form hud-intake v3 (published)``, for messages and diff headers."""
        return f"{self.definition.kind} {self.definition.key} v{self.version} ({self.status})"

    def __repr__(self) -> str:
        return f"<DefinitionVersion {self.definition_id} v{self.version} {self.status}>"
