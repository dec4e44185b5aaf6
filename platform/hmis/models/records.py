"""Tables of the records room (see its migration).

* :class:`SubmittedForm`: one row per form a person submitted, keyed by the random
  token the form carried. A double click or a resent POST finds the token taken and
  is shown the first result instead of writing the records twice.
* :class:`ClientNameTerm`: every distinct first or last name in ``client``, kept by a
  PostgreSQL trigger (so imports keep it too). Names repeat a lot, so typo-tolerant
  search looks for similar *terms* in this small table (a trigram index) and then
  fetches clients by exact name through b-tree indexes: fast at any number of clients.
* A trigram index on the SSN (last-four search) and a b-tree on the first name. They
  are plain column indexes (no expressions) so both backends compare them with the
  migrations; on SQLite the trigram ones are ordinary b-trees and search uses its
  fallback (see ``hmis.records.search``).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .core import utcnow
from .hud import Client


class SubmittedForm(db.Model):
    """A form that was submitted once: its token, who sent it and where its result is."""

    __tablename__ = "submitted_form"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    result_url: Mapped[str] = mapped_column(String(500))
    created_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ClientNameTerm(db.Model):
    """A first or last name some client has (exactly as stored)."""

    __tablename__ = "client_name_term"

    # TEXT, not VARCHAR: PostgreSQL uses the trigram index for ``%`` only on a text column.
    term: Mapped[str] = mapped_column(Text, primary_key=True)

    __table_args__ = (
        # fastupdate off: new names go straight into the index rather than a pending list,
        # which the planner prices so high that it would scan the table instead.
        Index("ix_client_name_term_trgm", "term", postgresql_using="gin", postgresql_ops={"term": "gin_trgm_ops"},
              postgresql_with={"fastupdate": "off"}),
    )


#: Client indexes the search needs (the migration creates pg_trgm first).
CLIENT_SEARCH_INDEXES = (
    Index("ix_client_first_name_search", Client.first_name),
    Index("ix_client_ssn_trgm", Client.ssn, postgresql_using="gin", postgresql_ops={"ssn": "gin_trgm_ops"}),
)
