"""The bookkeeping columns every HUD record carries: DateCreated, DateUpdated, UserID.

HUD's UserID points at a row of User.csv in the same data source; the first time an
account writes into a data source it gets one, keyed ``account-<id>`` (the system
actor is ``system``), so exports always name who entered a record.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..access.operations import Actor
from ..db import transaction_memo
from ..extensions import db
from ..models import Account, HudUser
from ..models.core import utcnow


def hud_user_id(actor: Actor, data_source_id: int) -> str:
    """The HUD UserID of ``actor`` in a data source, creating its User row (flushed) if needed."""
    key = "system" if actor.account_id is None else f"account-{actor.account_id}"
    # Found once in a transaction, a User row stays: a household's page stamps many rows.
    found_before = transaction_memo("stamps.hud_users")
    if (data_source_id, key) in found_before:
        return key
    with db.session.no_autoflush:  # the record being stamped is flushed once, UserID and all
        found = db.session.scalar(select(HudUser.user_id).where(HudUser.data_source_id == data_source_id,
                                                                HudUser.user_id == key))
    if found:
        found_before.add((data_source_id, key))
        return found
    first, _, last = (actor.name or key).partition(" ")
    account = db.session.get(Account, actor.account_id) if actor.account_id else None
    now = utcnow()
    # Two first saves by the same person at once: the second one's insert does nothing.
    insert = (postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert)(HudUser)
    db.session.execute(insert.values(
        data_source_id=data_source_id, user_id=key, user_first_name=first[:50] or None,
        user_last_name=last[:50] or None, user_email=account.email[:320] if account else None,
        date_created=now, date_updated=now).on_conflict_do_nothing(index_elements=["data_source_id", "user_id"]))
    return key


def stamp_new(record, actor: Actor) -> None:
    """Fill DateCreated, DateUpdated and UserID of a record about to be added."""
    now = utcnow()
    record.date_created = now
    record.date_updated = now
    record.user_id = hud_user_id(actor, record.data_source_id)


def stamp_changed(record, actor: Actor) -> datetime:
    """Move DateUpdated forward (strictly: it is the record's version for concurrent edits)."""
    now = utcnow()
    if record.date_updated is not None and now <= record.date_updated:
        now = record.date_updated + timedelta(microseconds=1)
    record.date_updated = now
    record.user_id = hud_user_id(actor, record.data_source_id)
    return now
