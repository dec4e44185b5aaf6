"""Two-factor sign-in with TOTP codes (RFC 6238, the codes authenticator apps show).

Roles with ``two_factor_required`` in ``admin/roles.yaml`` must use it; an account
enrols at its first sign-in. The secret is stored encrypted (:mod:`hmis.access.crypto`)
and each code works once: the time step of the last accepted code is kept, so a code
seen over someone's shoulder cannot be replayed in its 30 seconds.

``SKIP_TWO_FACTOR`` turns the requirement off (tests, local trials; refused in
production), and so does a demo installation for its printed demo lead account.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pyotp
from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models.core import Account, utcnow
from ..models.privacy import TwoFactor
from . import crypto, permissions

ISSUER = "HMIS"
#: Codes from the step before and after are accepted too (phone clocks drift).
DRIFT_STEPS = 1


def required(account: Account) -> bool:
    """Must this account give a code to sign in?"""
    config = current_app.config
    if config.get("SKIP_TWO_FACTOR"):
        return False
    if config.get("DEMO_DATA") and not config.get("PRODUCTION"):
        from ..setup import DEMO_EMAIL

        if account.email == DEMO_EMAIL:
            return False
    return permissions.two_factor_required(account.role) or enrolled(account)


def _row(account: Account) -> TwoFactor | None:
    return db.session.scalar(select(TwoFactor).where(TwoFactor.account_id == account.id))


def enrolled(account: Account) -> bool:
    row = _row(account)
    return row is not None and row.confirmed_dt is not None


def start_enrolment(account: Account) -> str:
    """A new secret for the account (replacing an unconfirmed one); returns it in base32."""
    row = _row(account)
    if row is not None and row.confirmed_dt is not None:
        raise ValueError("two-factor sign-in is already set up for this account")
    secret = pyotp.random_base32()
    if row is None:
        row = TwoFactor(account_id=account.id, secret_encrypted=crypto.encrypt(secret))
        db.session.add(row)
    else:
        row.secret_encrypted = crypto.encrypt(secret)
        row.last_counter = None
    db.session.flush()
    return secret


def pending_secret(account: Account) -> str | None:
    """The secret of an enrolment not yet confirmed (to show again), or None."""
    row = _row(account)
    if row is None or row.confirmed_dt is not None:
        return None
    return crypto.decrypt(row.secret_encrypted)


def provisioning_uri(account: Account, secret: str) -> str:
    """The ``otpauth://`` address an authenticator app reads."""
    return pyotp.TOTP(secret).provisioning_uri(name=account.email, issuer_name=ISSUER)


def _as_utc(now: datetime) -> datetime:
    return now.replace(tzinfo=timezone.utc) if now.tzinfo is None else now


def verify(account: Account, code: str, now: datetime | None = None) -> bool:
    """Check a code (confirming a pending enrolment); a code already used is refused."""
    row = _row(account)
    code = "".join(ch for ch in (code or "") if not ch.isspace())
    if row is None or not code.isdigit() or len(code) != 6:
        return False
    totp = pyotp.TOTP(crypto.decrypt(row.secret_encrypted))
    moment = _as_utc(now or utcnow())
    current = totp.timecode(moment)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if row.last_counter is not None and step <= row.last_counter:
            continue
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            row.last_counter = step
            if row.confirmed_dt is None:
                row.confirmed_dt = utcnow()
            db.session.flush()
            return True
    return False


def remove(account: Account) -> None:
    """Forget the account's secret (an administrator's reset: it enrols again)."""
    row = _row(account)
    if row is not None:
        db.session.delete(row)
        db.session.flush()
