"""Submit-once tokens: a double click or a resent form does its work once.

A form carries a random token from the page that showed it. Saving claims the token in
the same transaction as the records; a second POST with the same token finds it taken
(the unique index makes concurrent claims wait for each other) and is sent to the
first one's result instead of writing everything again.
"""
from __future__ import annotations

import secrets

from sqlalchemy import select

from ..extensions import db
from ..models.records import SubmittedForm


def new_token() -> str:
    return secrets.token_urlsafe(24)


def already_submitted(token: str | None) -> SubmittedForm | None:
    """The earlier submission with this token, if there was one."""
    if not token:
        return None
    return db.session.scalar(select(SubmittedForm).where(SubmittedForm.token == token[:64]))


def claim(token: str | None, account_id: int | None, result_url: str) -> None:
    """Record the token with the result's address (flushed; commits with the records).

    A concurrent claim of the same token fails with IntegrityError at flush or commit,
    which rolls back that request's records too.
    """
    if not token:
        return
    db.session.add(SubmittedForm(token=token[:64], account_id=account_id, result_url=result_url[:500]))
    db.session.flush()
