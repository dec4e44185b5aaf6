"""Fixed-window rate limits kept in the database, so every web process shares them.

``hit(key, limit, window)`` counts one attempt and says whether it is within the
limit. The count is one atomic upsert (``INSERT ... ON CONFLICT DO UPDATE``), so two
processes counting at once never lose an attempt. It commits with the caller's
transaction.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models.core import utcnow
from ..models.privacy import RateLimitHit

#: Windows older than this are deleted as new attempts come in.
KEEP = timedelta(days=1)


def window_start(now: datetime, seconds: int) -> datetime:
    epoch = datetime(2000, 1, 1)
    elapsed = int((now - epoch).total_seconds())
    return epoch + timedelta(seconds=elapsed - elapsed % max(1, seconds))


def hit(key: str, limit: int, window_seconds: int, now: datetime | None = None) -> bool:
    """Count an attempt for ``key``; True while the window's count is at most ``limit``."""
    now = now or utcnow()
    start = window_start(now, window_seconds)
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(RateLimitHit).values(key=key[:400], window_start_dt=start, count=1)
    statement = statement.on_conflict_do_update(
        index_elements=["key", "window_start_dt"], set_={"count": RateLimitHit.count + 1},
    ).returning(RateLimitHit.count)
    count = db.session.execute(statement).scalar_one()
    # Only windows that have ended go: a window configured longer than KEEP must keep its count.
    kept = max(KEEP, timedelta(seconds=window_seconds))
    db.session.execute(delete(RateLimitHit).where(RateLimitHit.window_start_dt < now - kept))
    return count <= limit


def sign_in_allowed(ip: str | None, email: str, config) -> bool:
    """Count a sign-in attempt against its IP address and its email; both must be within limits."""
    window = config.get("SIGN_IN_LIMIT_WINDOW_SECONDS", 600)
    by_ip = hit(f"sign_in:ip:{ip or '-'}", config.get("SIGN_IN_LIMIT_PER_IP", 30), window)
    by_email = hit(f"sign_in:email:{email.strip().lower()[:320]}", config.get("SIGN_IN_LIMIT_PER_EMAIL", 10), window)
    return by_ip and by_email
