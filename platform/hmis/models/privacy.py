"""Tables of the privacy room: who belongs to which agency, consent, restrictions, sign-in state.

The rules that read them live in :mod:`hmis.access.policy`; ``admin/sharing.yaml``
says how far a CoC shares.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .core import utcnow


class AccountOrganization(db.Model):
    """An account works for an organization (an agency): it sees that agency's private data."""

    __tablename__ = "account_organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    created_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("account_id", "organization_id"),)


class ClientOrigin(db.Model):
    """The organization that created a client in this HMIS, so a client not yet enrolled
    anywhere still belongs to an agency (enrollments say the rest)."""

    __tablename__ = "client_origin"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    created_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Consent(db.Model):
    """A release of information: the client agrees (or refuses) to share their profile
    with the organizations named in :class:`ConsentOrganization`, between two dates.

    A granted consent shares only while it is *active*: started, not ended, not revoked.
    A refusal is kept as a record of its own (``status='refused'``) and shares nothing.
    """

    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))  #: granted, refused
    all_organizations: Mapped[bool] = mapped_column(default=False)  #: every participating agency
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)  #: last day it applies; None: until revoked
    documentation: Mapped[str] = mapped_column(String(40))  #: signed_form, verbal, electronic, ...
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    recorded_for_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))  #: the agency that took it
    recorded_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_dt: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    revoked_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("status in ('granted', 'refused')", name="status"),
        CheckConstraint("end_date is null or end_date >= start_date", name="dates"),
    )


class ConsentOrganization(db.Model):
    """One organization a consent names (its scope)."""

    __tablename__ = "consent_organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("consent.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)

    __table_args__ = (UniqueConstraint("consent_id", "organization_id"),)


class ClientRestriction(db.Model):
    """A client whose name other agencies must not see (e.g. a survivor of domestic violence).

    Other agencies see the profile only through a consent naming them, never through a
    CoC-wide sharing policy, and even then the name is hidden.
    """

    __tablename__ = "client_restriction"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), unique=True)
    reason: Mapped[str] = mapped_column(String(40))  #: dv_survivor, safety, other
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    created_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class RateLimitHit(db.Model):
    """Attempts per key (``sign_in:ip:...``) in a fixed time window, shared by every web process."""

    __tablename__ = "rate_limit_hit"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(400))
    window_start_dt: Mapped[datetime] = mapped_column(DateTime)
    count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        UniqueConstraint("key", "window_start_dt"),
        Index(None, "window_start_dt"),
    )


class TwoFactor(db.Model):
    """An account's TOTP secret (encrypted with the settings' key) and the last code used,
    so a code cannot be replayed within its 30 seconds."""

    __tablename__ = "two_factor"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), unique=True)
    secret_encrypted: Mapped[str] = mapped_column(String(400))
    confirmed_dt: Mapped[datetime | None] = mapped_column(DateTime)  #: None until the first code is entered
    last_counter: Mapped[int | None] = mapped_column(Integer)
    created_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AccountToken(db.Model):
    """A one-time link to set a password: an invitation or a reset. Only its hash is kept."""

    __tablename__ = "account_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  #: invite, reset
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_dt: Mapped[datetime] = mapped_column(DateTime)
    used_dt: Mapped[datetime | None] = mapped_column(DateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    created_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (CheckConstraint("purpose in ('invite', 'reset')", name="purpose"),)


class ClientSSN(db.Model):
    """A client's SSN, encrypted (see :mod:`hmis.access.sensitive`): ``client.ssn`` holds only
    the masked form ``xxxxx1234`` (what last-four search and matching blocks use).

    Written only through ``sensitive.store`` and ``sensitive.seal_plaintext_ssns``.
    """

    __tablename__ = "client_ssn"

    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), primary_key=True)
    ssn_encrypted: Mapped[str] = mapped_column(Text)  #: Fernet token of the SSN as recorded
    ssn_hash: Mapped[str] = mapped_column(String(64), index=True)  #: keyed HMAC, for exact search
    key_id: Mapped[str] = mapped_column(String(16), index=True)  #: which key made the token (rotation)
    #: What ``client.ssn`` holds for it; another value there means the row was written
    #: around the service (an import), and the next seal replaces this one.
    masked: Mapped[str] = mapped_column(String(9))
    #: Nine digits passing HUD's validity checks (the APR/DQ "SSN issue" test), worked out when stored.
    ssn_valid: Mapped[bool] = mapped_column(Boolean)
    updated_dt: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
