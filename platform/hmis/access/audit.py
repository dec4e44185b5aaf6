"""The audit log: record what people do, search it, export it.

``record`` adds an :class:`~hmis.models.audit.AuditEvent` to the current database
session, so the event commits (or rolls back) with the request's own work. Views
that write nothing else (a client page, a download) pass ``commit=True``. Events are
append-only: nothing here changes or removes one, and the database refuses to.

The forms' service layer records ``record.create`` / ``record.update`` /
``record.delete`` with ``details=changes(before, after)``.
"""
from __future__ import annotations

import csv
import io
import json
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Iterator, Mapping

from flask import g, has_request_context, request
from sqlalchemy import Select, select

from ..db import contains_pattern
from ..extensions import db
from ..models.audit import AuditEvent
from ..models.core import Account

#: Roles that may read and export the audit log.
AUDIT_ROLES = frozenset({"hmis_lead", "system_admin", "auditor"})

#: The actions the product records; ``record`` accepts others (new features add their own).
ACTIONS = (
    "sign_in", "sign_in_failed", "sign_out", "client.view", "client.ssn_reveal",
    "record.create", "record.update", "record.delete",
    "import.upload", "import.confirm", "import.issues_download",
    "export.request", "export.download", "audit.export",
    "sign_in_limited", "report.run", "report.drilldown", "client.merge",
    "consent.view", "consent.record", "consent.revoke", "client.restrict",
    "account.invite", "account.assign", "account.deactivate", "account.reactivate", "account.reset",
    "account.reset_two_factor", "account.password_set",
)

MAX_USER_AGENT = 300
MAX_SUBJECT_ID = 100
_BATCH = "audit.batch"  # the events :func:`batched` holds, in the session's info
#: Keys never stored in details, whatever a caller passes (matched case-insensitively, as substrings).
SECRET_KEYS = ("password", "secret", "token", "csrf")


def record(action: str, *, subject_type: str | None = None, subject_id: Any = None,
           details: Mapping[str, Any] | None = None, account: Account | None = None,
           email: str | None = None, commit: bool = False) -> AuditEvent:
    """Add an audit event to the current session and return it.

    ``account`` defaults to the signed-in account of the current request (none
    outside a request, e.g. the CLI); ``email`` overrides the copied email (a failed
    sign-in has no account, only the email tried). The IP address and user agent come
    from the request when there is one. With ``commit=True`` the session is committed
    here, for views that otherwise write nothing.
    """
    ip = user_agent = None
    if has_request_context():
        if account is None:
            account = _request_account()
        ip = (request.remote_addr or "")[:64] or None
        user_agent = (request.user_agent.string or "")[:MAX_USER_AGENT] or None
    event = AuditEvent(
        action=action[:80],
        account_id=account.id if account is not None else None,
        account_email=(email if email is not None else (account.email if account is not None else None)),
        subject_type=subject_type[:40] if subject_type else None,
        subject_id=str(subject_id)[:MAX_SUBJECT_ID] if subject_id not in (None, "") else None,
        ip=ip, user_agent=user_agent,
        details=_clean(details) if details else None,
    )
    if event.account_email:
        event.account_email = event.account_email[:320]
    batch = db.session.info.get(_BATCH)
    if batch is not None and not commit:
        batch.append(event)
    else:
        db.session.add(event)
    if commit:
        db.session.commit()
    return event


@contextmanager
def batched() -> Iterator[list[AuditEvent]]:
    """Hold the events recorded inside, and add them to the session together when the
    block ends, so a page that writes many records inserts its events in one statement
    rather than one per flush. An exception drops them with the rest of the work (and
    a caller that rolls its work back rolls them back too)."""
    session = db.session()
    outer = session.info.get(_BATCH)
    events: list[AuditEvent] = []
    session.info[_BATCH] = events
    try:
        yield events
    finally:
        if outer is None:
            session.info.pop(_BATCH, None)
        else:
            session.info[_BATCH] = outer
    if outer is not None:
        outer.extend(events)
    else:
        session.add_all(events)


def _request_account() -> Account | None:
    cached = g.get("current_account")
    if cached is not None:
        return cached
    from ..web.auth import current_account  # the web layer depends on access, not the other way round

    return current_account()


def _clean(details: Mapping[str, Any]) -> dict[str, Any]:
    """Plain JSON (dates and decimals as text), without anything that looks like a secret."""
    def scrub(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(k): scrub(v) for k, v in value.items()
                    if not any(word in str(k).lower() for word in SECRET_KEYS)}
        if isinstance(value, (list, tuple, set)):
            return [scrub(v) for v in value]
        return value

    return json.loads(json.dumps(scrub(details), default=str))


def changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The fields that differ, as ``{"before": {...}, "after": {...}}`` (a created record has
    no before, a deleted one no after: pass ``None``). Unchanged fields are left out."""
    before, after = dict(before or {}), dict(after or {})
    keys = sorted(set(before) | set(after), key=str)
    changed = [k for k in keys if before.get(k) != after.get(k) or (k in before) != (k in after)]
    return {"before": {k: before[k] for k in changed if k in before},
            "after": {k: after[k] for k in changed if k in after}}


# -- search ------------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditFilters:
    """What the audit page filters on; empty values match everything."""

    action: str = ""
    account: str = ""  #: part of the account email
    subject_type: str = ""
    subject_id: str = ""
    date_from: date | None = None
    date_to: date | None = None  #: inclusive

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "AuditFilters":
        def text(name: str, limit: int = 200) -> str:
            return (args.get(name) or "").strip()[:limit]

        return cls(action=text("action", 80), account=text("account", 320), subject_type=text("subject_type", 40),
                   subject_id=text("subject_id", MAX_SUBJECT_ID), date_from=_parse_date(args.get("from")),
                   date_to=_parse_date(args.get("to")))

    def as_args(self) -> dict[str, str]:
        return {"action": self.action, "account": self.account, "subject_type": self.subject_type,
                "subject_id": self.subject_id, "from": self.date_from.isoformat() if self.date_from else "",
                "to": self.date_to.isoformat() if self.date_to else ""}


def _parse_date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip()[:10]) if raw else None
    except ValueError:
        return None


def filtered(filters: AuditFilters) -> Select:
    """Events matching ``filters``, newest first."""
    statement = select(AuditEvent).order_by(AuditEvent.occurred_dt.desc(), AuditEvent.id.desc())
    if filters.action:
        statement = statement.where(AuditEvent.action == filters.action)
    if filters.account:
        statement = statement.where(AuditEvent.account_email.ilike(contains_pattern(filters.account.lower()), escape="\\"))
    if filters.subject_type:
        statement = statement.where(AuditEvent.subject_type == filters.subject_type)
    if filters.subject_id:
        statement = statement.where(AuditEvent.subject_id == filters.subject_id)
    if filters.date_from:
        statement = statement.where(AuditEvent.occurred_dt >= datetime.combine(filters.date_from, datetime.min.time()))
    if filters.date_to:
        statement = statement.where(
            AuditEvent.occurred_dt < datetime.combine(filters.date_to + timedelta(days=1), datetime.min.time()))
    return statement


def search(filters: AuditFilters, page: int = 1, per_page: int = 50):
    """One page of matching events, newest first (a Flask-SQLAlchemy pagination)."""
    return db.paginate(filtered(filters), page=max(1, page), per_page=per_page, max_per_page=500, error_out=False)


def known_actions() -> list[str]:
    """Actions for the filter list: the standard ones plus any others already recorded."""
    seen = set(db.session.scalars(select(AuditEvent.action).distinct()).all())
    return list(ACTIONS) + sorted(seen - set(ACTIONS))


# -- export ------------------------------------------------------------------------------

CSV_HEADER = ("occurred_utc", "account_email", "account_id", "action", "subject_type", "subject_id",
              "ip", "user_agent", "details", "event_id")
CSV_BATCH = 1000


def format_details(details: Any) -> str:
    """Details as compact JSON text (for the page and the CSV)."""
    if details in (None, {}, []):
        return ""
    return json.dumps(details, ensure_ascii=False, sort_keys=True, default=str)


def events_csv(filters: AuditFilters) -> Iterator[str]:
    """Stream the matching events as CSV, newest first, a batch at a time; every text cell is
    made formula-safe so a spreadsheet never runs a value from the log."""
    from ..interchange.services import _csv_safe

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    yield buffer.getvalue()
    base = filtered(filters)
    last: tuple[datetime, int] | None = None
    while True:
        statement = base
        if last is not None:
            occurred, event_id = last
            statement = statement.where(
                (AuditEvent.occurred_dt < occurred)
                | ((AuditEvent.occurred_dt == occurred) & (AuditEvent.id < event_id)))
        batch = db.session.scalars(statement.limit(CSV_BATCH)).all()
        if not batch:
            return
        buffer.seek(0)
        buffer.truncate()
        for event in batch:
            writer.writerow([
                event.occurred_dt.isoformat(sep=" ", timespec="seconds"),
                _csv_safe(event.account_email or ""), event.account_id or "", _csv_safe(event.action),
                _csv_safe(event.subject_type or ""), _csv_safe(event.subject_id or ""), _csv_safe(event.ip or ""),
                _csv_safe(event.user_agent or ""), _csv_safe(format_details(event.details)), event.id,
            ])
        last = (batch[-1].occurred_dt, batch[-1].id)
        yield buffer.getvalue()


def record_sign_in(account: Account | None, email_tried: str | None) -> AuditEvent:
    """A sign-in (``account`` set) or a failed one: then only the email tried is kept, never the password."""
    if account is not None:
        return record("sign_in", subject_type="account", subject_id=account.id, account=account)
    tried = (email_tried or "").strip().lower()[:320]
    return record("sign_in_failed", email=tried or None, details={"email": tried})
