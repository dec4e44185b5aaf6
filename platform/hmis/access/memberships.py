"""Which organizations (agencies) an account works for.

Plain functions with no permission check: the account-management operations in
:mod:`hmis.access.admin` call them after checking the actor.
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import delete, select

from ..extensions import db
from ..models import Organization
from ..models.core import Account
from ..models.privacy import AccountOrganization


class MembershipError(ValueError):
    """An organization to assign does not exist."""


def set_organizations(account: Account, organization_ids: Iterable[int]) -> tuple[set[int], set[int]]:
    """Make ``account`` staff of exactly these organizations; return (added, removed) ids.

    :raise MembershipError: naming an organization id that does not exist (nothing changes).
    """
    wanted = {int(i) for i in organization_ids}
    existing = set(db.session.scalars(select(Organization.id).where(Organization.id.in_(sorted(wanted))))) \
        if wanted else set()
    missing = wanted - existing
    if missing:
        raise MembershipError(f"no organization with id {', '.join(str(i) for i in sorted(missing))}")
    current = set(db.session.scalars(
        select(AccountOrganization.organization_id).where(AccountOrganization.account_id == account.id)))
    added, removed = wanted - current, current - wanted
    if removed:
        db.session.execute(delete(AccountOrganization).where(
            AccountOrganization.account_id == account.id, AccountOrganization.organization_id.in_(sorted(removed))))
    for organization_id in sorted(added):
        db.session.add(AccountOrganization(account_id=account.id, organization_id=organization_id))
    db.session.flush()
    return added, removed


def organization_ids(account_id: int) -> frozenset[int]:
    return frozenset(db.session.scalars(
        select(AccountOrganization.organization_id).where(AccountOrganization.account_id == account_id)))


def organizations_by_account(account_ids: Iterable[int]) -> dict[int, list[Organization]]:
    """Organizations of several accounts at once (for the user list)."""
    ids = sorted(set(account_ids))
    result: dict[int, list[Organization]] = {i: [] for i in ids}
    if not ids:
        return result
    rows = db.session.execute(
        select(AccountOrganization.account_id, Organization)
        .join(Organization, Organization.id == AccountOrganization.organization_id)
        .where(AccountOrganization.account_id.in_(ids))
        .order_by(Organization.organization_name)).all()
    for account_id, organization in rows:
        result[account_id].append(organization)
    return result
