"""User management: invite, deactivate, reset, assign roles and organizations.

HMIS leads and system admins (``accounts.manage``) manage every account; agency
administrators (``accounts.manage_agency`` only) manage the accounts of their own
organizations and give only the roles listed in ``agency_assignable_roles``.
Every change is audited. An invitation or a reset gives a one-time link (only its
hash is stored) that the person opens to choose their own password; nobody else
ever knows it.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import func, select

from ..db import contains_pattern
from ..extensions import db
from ..models import Organization
from ..models.core import Account, utcnow
from ..models.privacy import AccountToken
from . import audit, memberships, permissions
from .accounts import ROLES, AccountError, hash_password, password_problems
from .operations import Actor, PermissionDenied, operation

INVITE_VALID = timedelta(days=7)
RESET_VALID = timedelta(hours=24)


@dataclass(frozen=True)
class Issued:
    """An account and the one-time link token to give its owner (shown once)."""

    account: Account
    token: str


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _issue_token(account: Account, purpose: str, actor: Actor) -> str:
    # Earlier unused links for the account stop working: only the newest is valid.
    for old in db.session.scalars(select(AccountToken).where(AccountToken.account_id == account.id,
                                                             AccountToken.used_dt.is_(None))):
        old.used_dt = utcnow()
    token = secrets.token_urlsafe(32)
    valid = INVITE_VALID if purpose == "invite" else RESET_VALID
    db.session.add(AccountToken(account_id=account.id, purpose=purpose, token_hash=_token_hash(token),
                                expires_dt=utcnow() + valid, created_by_id=actor.account_id))
    db.session.flush()
    return token


def _manages_all(actor: Actor) -> bool:
    return actor.can("accounts.manage")


def _check_can_manage(actor: Actor, account: Account) -> None:
    if _manages_all(actor):
        if account.role == "system_admin" and actor.role != "system_admin" and not actor.is_system:
            raise PermissionDenied("Only a system administrator can change a system administrator's account.")
        return
    theirs = memberships.organization_ids(account.id)
    if not theirs or not theirs <= actor.organization_ids or account.role not in permissions.agency_assignable_roles():
        raise PermissionDenied("You can manage only the accounts of your own organization's staff.")


def _check_role(actor: Actor, role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}; expected one of {', '.join(ROLES)}.")
    if not _manages_all(actor) and role not in permissions.agency_assignable_roles():
        raise PermissionDenied(f"You cannot give the role {permissions.role_label(role)}.")
    if role == "system_admin" and actor.role != "system_admin" and not actor.is_system:
        raise PermissionDenied("Only a system administrator can make another system administrator.")


def _check_organizations(actor: Actor, organization_ids: set[int]) -> None:
    if not _manages_all(actor):
        if not organization_ids:
            raise AccountError("Choose at least one of your organizations.")
        if not organization_ids <= actor.organization_ids:
            raise PermissionDenied("You can assign only your own organizations.")


def _get(account_id: int) -> Account:
    account = db.session.get(Account, account_id)
    if account is None:
        raise AccountError(f"There is no account {account_id}.")
    return account


@operation("accounts.list", permission="accounts.manage_agency")
def list_accounts(actor: Actor, search: str = "") -> list[Account]:
    """Accounts the actor manages, by name."""
    statement = select(Account).order_by(func.lower(Account.name), Account.id)
    if search.strip():
        pattern = contains_pattern(search.strip().lower())
        statement = statement.where((func.lower(Account.email).like(pattern, escape="\\"))
                                    | (func.lower(Account.name).like(pattern, escape="\\")))
    accounts = db.session.scalars(statement).all()
    if _manages_all(actor):
        return list(accounts)
    shown = []
    for account in accounts:
        try:
            _check_can_manage(actor, account)
        except PermissionDenied:
            continue
        shown.append(account)
    return shown


@operation("accounts.invite", permission="accounts.manage_agency")
def invite_account(actor: Actor, email: str, name: str, role: str, organization_ids: Iterable[int]) -> Issued:
    """Create an account with no usable password and an invitation link to choose one.

    :raise AccountError: for a bad or taken email, or an unknown role or organization.
    """
    orgs = {int(i) for i in organization_ids}
    _check_role(actor, role)
    _check_organizations(actor, orgs)
    from .accounts import create_account

    # A random password nobody knows, replaced when the invitation is used.
    account = create_account(email, name, secrets.token_urlsafe(32), role)
    try:
        memberships.set_organizations(account, orgs)
    except memberships.MembershipError as exc:
        raise AccountError(str(exc)) from None
    token = _issue_token(account, "invite", actor)
    audit.record("account.invite", subject_type="account", subject_id=account.id,
                 details={"email": account.email, "role": role, "organizations": sorted(orgs)})
    return Issued(account, token)


@operation("accounts.deactivate", permission="accounts.manage_agency")
def set_active(actor: Actor, account_id: int, active: bool) -> Account:
    """Deactivate (every session ends at its next request) or reactivate an account."""
    account = _get(account_id)
    _check_can_manage(actor, account)
    if account.id == actor.account_id and not active:
        raise AccountError("You cannot deactivate your own account.")
    if account.is_active != active:
        account.is_active = active
        audit.record("account.reactivate" if active else "account.deactivate", subject_type="account",
                     subject_id=account.id, details=audit.changes({"is_active": not active}, {"is_active": active}))
    db.session.flush()
    return account


@operation("accounts.reset", permission="accounts.manage_agency")
def reset_password(actor: Actor, account_id: int) -> Issued:
    """Replace the password with an unknown one (ending every session) and issue a reset link."""
    account = _get(account_id)
    _check_can_manage(actor, account)
    account.password_hash = hash_password(secrets.token_urlsafe(32))
    account.failed_sign_ins = 0
    account.locked_until_dt = None
    token = _issue_token(account, "reset", actor)
    audit.record("account.reset", subject_type="account", subject_id=account.id)
    return Issued(account, token)


@operation("accounts.assign", permission="accounts.manage_agency")
def assign(actor: Actor, account_id: int, role: str, organization_ids: Iterable[int]) -> Account:
    """Set an account's role and organizations (together, so one form changes both)."""
    account = _get(account_id)
    _check_can_manage(actor, account)
    orgs = {int(i) for i in organization_ids}
    _check_role(actor, role)
    _check_organizations(actor, orgs)
    if account.id == actor.account_id and role != account.role:
        raise AccountError("You cannot change your own role.")
    before = {"role": account.role, "organizations": sorted(memberships.organization_ids(account.id))}
    try:
        memberships.set_organizations(account, orgs)
    except memberships.MembershipError as exc:
        raise AccountError(str(exc)) from None
    account.role = role
    db.session.flush()
    after = {"role": role, "organizations": sorted(orgs)}
    if before != after:
        audit.record("account.assign", subject_type="account", subject_id=account.id,
                     details=audit.changes(before, after))
    return account


@operation("accounts.organizations", permission="accounts.manage_agency")
def assignable_organizations(actor: Actor) -> list[Organization]:
    """Organizations the actor may put accounts in."""
    statement = select(Organization).where(Organization.date_deleted.is_(None)).order_by(
        func.lower(Organization.organization_name), Organization.id)
    if not _manages_all(actor):
        statement = statement.where(Organization.id.in_(sorted(actor.organization_ids)))
    return list(db.session.scalars(statement))


def assignable_roles(actor: Actor) -> list[str]:
    if _manages_all(actor):
        return [r for r in ROLES if r != "system_admin" or actor.role == "system_admin" or actor.is_system]
    return list(permissions.agency_assignable_roles())


# -- using a link (no actor: the person is not signed in) ------------------------------------

def token_account(token: str, now: datetime | None = None) -> Account | None:
    """The account an unused, unexpired link belongs to, or None."""
    now = now or utcnow()
    row = db.session.scalar(select(AccountToken).where(AccountToken.token_hash == _token_hash(token or "")))
    if row is None or row.used_dt is not None or row.expires_dt < now:
        return None
    account = db.session.get(Account, row.account_id)
    return account if account is not None and account.is_active else None


def use_token(token: str, password: str, now: datetime | None = None) -> Account:
    """Set the password through a one-time link; the link then stops working.

    :raise AccountError: for a used, expired or unknown link, or a password the policy refuses.
    """
    now = now or utcnow()
    account = token_account(token, now)
    if account is None:
        raise AccountError("This link has expired or was already used. Ask your administrator for a new one.")
    refused = password_problems(password, email=account.email, name=account.name)
    if refused:
        raise AccountError(" ".join(refused))
    row = db.session.scalar(select(AccountToken).where(AccountToken.token_hash == _token_hash(token)))
    row.used_dt = now
    account.password_hash = hash_password(password)
    account.failed_sign_ins = 0
    account.locked_until_dt = None
    audit.record("account.password_set", subject_type="account", subject_id=account.id, account=account,
                 details={"through": row.purpose})
    db.session.flush()
    return account


@operation("accounts.reset_two_factor", permission="accounts.manage_agency")
def reset_two_factor(actor: Actor, account_id: int) -> Account:
    """Forget the account's authenticator (a lost phone): it enrols again at its next sign-in."""
    from . import totp

    account = _get(account_id)
    _check_can_manage(actor, account)
    totp.remove(account)
    audit.record("account.reset_two_factor", subject_type="account", subject_id=account.id)
    return account


@operation("accounts.view", permission="accounts.manage_agency")
def get_account(actor: Actor, account_id: int) -> Account:
    account = _get(account_id)
    _check_can_manage(actor, account)
    return account
