"""Tables of the identity room: the duplicate review queue, merges, links and the
resolved person of every client (see its migration and ``hmis/identity/README.md``).

Pairs are stored with the lower client id first (``client_a_id < client_b_id``), so one
pair has one row whichever way round it was found.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .core import utcnow


class DuplicateCandidate(db.Model):
    """A pair of clients the matcher scored as likely the same person, waiting for review.

    ``status`` is ``open`` until someone decides: ``merged``, ``linked`` or ``not_duplicate``
    (a later scan replaces the open rows, decided ones stay as history).
    """

    __tablename__ = "duplicate_candidate"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_a_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"))
    client_b_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="open")
    job_id: Mapped[str | None] = mapped_column(String(64))  #: the scan that found it
    found_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_dt: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    __table_args__ = (
        UniqueConstraint("client_a_id", "client_b_id"),
        CheckConstraint("client_a_id < client_b_id", name="ordered"),
        CheckConstraint("status in ('open', 'merged', 'linked', 'not_duplicate')", name="status"),
        Index(None, "status", "score"),
    )


class NotDuplicate(db.Model):
    """A pair someone decided are two different people: never proposed again."""

    __tablename__ = "not_duplicate"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_a_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"))
    client_b_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    note: Mapped[str | None] = mapped_column(Text)
    created_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("client_a_id", "client_b_id"),
        CheckConstraint("client_a_id < client_b_id", name="ordered"),
    )


class ClientLink(db.Model):
    """Two client records of the same person kept apart (e.g. from two data sources).

    Reports count a linked group once (see :class:`PersonKey`); unlinking removes the row
    (the audit log keeps the history).
    """

    __tablename__ = "client_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_a_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"))
    client_b_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    note: Mapped[str | None] = mapped_column(Text)
    created_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("client_a_id", "client_b_id"),
        CheckConstraint("client_a_id < client_b_id", name="ordered"),
    )


class ClientMerge(db.Model):
    """One merge of ``merged_id`` into ``survivor_id``, with everything needed to undo it.

    ``before_state`` holds the merged-away client row, the survivor's old and new field
    values, and for every table the ids of the rows moved (see ``hmis.identity.merge``).
    ``flags`` lists what a person should look at afterwards (overlapping enrollments,
    rows left behind because the survivor already had one).
    """

    __tablename__ = "client_merge"

    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    merged_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="active")  #: active, undone
    before_state: Mapped[dict[str, Any]] = mapped_column(JSON)
    flags: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    created_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    undone_dt: Mapped[datetime | None] = mapped_column(DateTime)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    undo_summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (
        CheckConstraint("status in ('active', 'undone')", name="status"),
        CheckConstraint("survivor_id <> merged_id", name="distinct"),
    )


class PersonKey(db.Model):
    """The resolved person of a client that was merged or linked: ``person_id`` is the
    client id that stands for the whole group (the lowest surviving id).

    Clients never merged or linked have no row; their person is themselves. So the
    resolved person of any client is ``COALESCE(person_key.person_id, client.id)``
    (``hmis.identity.resolved.person_key``). Kept up to date by every merge, undo, link
    and unlink, in the same transaction.
    """

    __tablename__ = "person_key"

    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
