"""Staff accounts: creation and password checks (argon2, the current OWASP advice)."""
from __future__ import annotations

from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from ..extensions import db
from ..models.core import Account, utcnow
from .passwords import MIN_LENGTH as MIN_PASSWORD_LENGTH  # noqa: F401 - kept for callers
from .passwords import problems as password_problems

_hasher = PasswordHasher()

ROLES = ("system_admin", "hmis_lead", "agency_admin", "case_manager", "intake", "analyst", "auditor")


class AccountError(ValueError):
    """An account cannot be created or changed as asked."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_account(email: str, name: str, password: str, role: str = "case_manager") -> Account:
    """Add an account (flushed, not committed: the caller owns the transaction).

    :raise AccountError: for a taken email, an unknown role or a password the policy refuses.
    """
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise AccountError(f"{email!r} is not an email address")
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    refused = password_problems(password, email=email, name=name)
    if refused:
        raise AccountError(" ".join(refused))
    if db.session.scalar(select(Account.id).where(func.lower(Account.email) == email)):
        raise AccountError(f"an account for {email} already exists")
    account = Account(email=email, name=name.strip() or email, password_hash=hash_password(password), role=role)
    db.session.add(account)
    db.session.flush()
    return account


#: Failed sign-ins allowed before the account locks; each further failure doubles the lock.
FAILURES_BEFORE_LOCK = 5
FIRST_LOCK = timedelta(minutes=1)
LONGEST_LOCK = timedelta(hours=1)


def lock_duration(failures: int) -> timedelta | None:
    """How long an account stays locked after this many failures in a row (None: not locked)."""
    if failures < FAILURES_BEFORE_LOCK:
        return None
    return min(FIRST_LOCK * 2 ** (failures - FAILURES_BEFORE_LOCK), LONGEST_LOCK)


def authenticate(email: str, password: str, now: datetime | None = None) -> Account | None:
    """Return the active account these credentials open, or None.

    Failures are counted; after FAILURES_BEFORE_LOCK in a row the account is locked
    for a minute, doubling with each further failure up to an hour, so guessing
    passwords costs hours rather than seconds. A locked account refuses even the
    right password, and says nothing different, so the lock reveals nothing.
    """
    now = now or utcnow()
    account = db.session.scalar(select(Account).where(func.lower(Account.email) == email.strip().lower()))
    if account is None:
        _hasher.hash(password)  # spend the same time, so a missing email is not revealed
        return None
    if account.locked_until_dt is not None and account.locked_until_dt > now:
        _hasher.hash(password)
        return None
    try:
        _hasher.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        account.failed_sign_ins += 1
        duration = lock_duration(account.failed_sign_ins)
        account.locked_until_dt = now + duration if duration else None
        return None
    if not account.is_active:
        return None
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    account.failed_sign_ins = 0
    account.locked_until_dt = None
    account.last_sign_in_dt = now
    return account
