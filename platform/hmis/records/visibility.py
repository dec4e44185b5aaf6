"""Which clients and enrollments an actor may see and change: the one place the records
service asks the privacy room's sharing policy (:mod:`hmis.access.policy`).

Every client query and every client or enrollment write in this package goes through
these functions, so the rule lives in the policy and is applied here the same way by
every screen, the CLI and jobs.
"""
from __future__ import annotations

from sqlalchemy import Select, select

from ..access import policy
from ..access.operations import Actor, PermissionDenied
from ..extensions import db
from ..models import Client, Enrollment, Organization, Project


def visible_clients(actor: Actor, statement: Select) -> Select:
    """``statement`` (a select over Client) narrowed to the clients ``actor`` may see."""
    return policy.filter_clients(actor, statement)


def visible_enrollments(actor: Actor, statement: Select) -> Select:
    """``statement`` (a select over Enrollment) narrowed to enrollments whose data ``actor`` may see."""
    return policy.filter_enrollments(actor, statement)


def require_client(actor: Actor, client: Client) -> None:
    """Raise PermissionDenied unless ``actor`` may see (and so edit the profile of) ``client``."""
    policy.require_client(actor, client, "profile")


def require_enrollment(actor: Actor, enrollment: Enrollment, *, write: bool = False) -> None:
    policy.require_enrollment(actor, enrollment, write=write)


def require_project(actor: Actor, project: Project) -> None:
    """Raise PermissionDenied unless ``actor`` may enroll people in ``project`` (their agency's)."""
    if actor.is_system or policy.has_full_access(actor):
        return
    org_id = db.session.scalar(select(Organization.id).where(
        Organization.data_source_id == project.data_source_id,
        Organization.organization_id == project.organization_id))
    if org_id not in actor.organization_ids:
        raise PermissionDenied("Only the agency that runs this project can enroll people in it.")


def claim_new_client(actor: Actor, client: Client, organization_id: int | None = None) -> None:
    """Make a just-created client belong to the actor's agency (so its staff can find them).

    A full-access role (HMIS lead) working for no agency sees every client anyway, and
    creating one does not need an owner.
    """
    if organization_id is None and not actor.organization_ids and (actor.is_system or policy.has_full_access(actor)):
        return
    policy.claim_new_client(actor, client, organization_id)


def display_names(actor: Actor, clients) -> dict[int, str]:
    """Names to show for these clients (restricted clients' names hidden from other agencies)."""
    return policy.display_names(actor, clients)
