"""Who may see which client record: the one place that decides (issue 6).

Every screen, search, export, report drill-down and API asks this module, so the
rule is written once, as SQL conditions; the per-record checks run the same
conditions on one row, so a list and a detail page can never disagree.

The rule, with ``admin/sharing.yaml`` (see :mod:`hmis.access.sharing`):

* A client's **home organizations** are the organizations of the projects they are
  enrolled in, plus the organization that created them in this HMIS
  (:class:`~hmis.models.privacy.ClientOrigin`), so a client not yet enrolled still
  belongs to an agency.
* An actor sees an **enrollment's private data** (and the assessments, services and
  exits under it) when the project's organization is one of the actor's
  organizations; roles in ``full_access_roles`` see every organization's; if
  ``consent_shares`` lists ``enrollments``, an active consent naming one of the actor's
  organizations shares the client's enrollments too.
* An actor sees a **client's profile** when one of the client's home organizations is
  one of theirs, or the client has an active consent (granted, started, not ended,
  not revoked) naming one of their organizations (or all organizations), or the
  policy shares profiles CoC-wide, or the actor's role has full access.
* **Victim-service providers** (``Organization.victim_service_provider == 1``): their
  data is never shared (VAWA): not by consent, not by policy, not with full-access
  roles. A client known only through such a provider is seen only by its own staff.
* A **restricted** client (:class:`~hmis.models.privacy.ClientRestriction`) is shared
  with other agencies only through a consent naming them, and their name is hidden
  from everyone outside their home organizations (:func:`display_name`).
* The **system actor** (CLI, jobs) sees everything; roles without ``clients.view`` see
  no client at all.

Statements given to :func:`filter_clients` must select from ``Client`` itself (not
an alias); those given to :func:`filter_enrollments` from ``Enrollment``.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Iterable

from sqlalchemy import ColumnElement, Select, and_, exists, false, not_, or_, select, true, tuple_

from ..extensions import db
from ..models import Client, Enrollment, Organization, Project
from ..models.privacy import AccountOrganization, ClientOrigin, ClientRestriction, Consent, ConsentOrganization
from .operations import Actor, PermissionDenied
from .sharing import policy as sharing_policy


def today() -> date:
    """The date consents are judged on (UTC, like every timestamp the product stores)."""
    return datetime.now(timezone.utc).date()


# -- who belongs where ---------------------------------------------------------------------

def organizations_of(account_id: int | None) -> frozenset[int]:
    """The organization ids an account works for."""
    if account_id is None:
        return frozenset()
    return frozenset(db.session.scalars(
        select(AccountOrganization.organization_id).where(AccountOrganization.account_id == account_id)))


def has_full_access(actor: Actor) -> bool:
    """The actor's role sees every organization's records (except victim-service providers')."""
    return actor.is_system or actor.role in sharing_policy().full_access_roles


def organization_for_new_record(actor: Actor, organization_id: int | None = None) -> int:
    """The organization a record the actor creates outside any project belongs to.

    :raise PermissionDenied: when the actor works for no organization, for several and
        named none, or named one that is not theirs (full-access roles may name any).
    """
    if organization_id is not None:
        if organization_id in actor.organization_ids or has_full_access(actor):
            if db.session.get(Organization, organization_id) is None:
                raise PermissionDenied(f"There is no organization {organization_id}.")
            return organization_id
        raise PermissionDenied("You can only create records for an organization you work for.")
    if len(actor.organization_ids) == 1:
        return next(iter(actor.organization_ids))
    if not actor.organization_ids:
        raise PermissionDenied("Your account is not assigned to an organization; ask your administrator.")
    raise PermissionDenied("You work for several organizations: choose the one this record is for.")


def claim_new_client(actor: Actor, client: Client, organization_id: int | None = None) -> ClientOrigin:
    """Record that ``client`` (just created and flushed) belongs to the actor's organization.

    Call it from every service that creates a client in the app. The system actor
    must name the organization.
    """
    if client.id is None:
        db.session.flush()
    owner = organization_for_new_record(actor, organization_id)
    origin = ClientOrigin(client_id=client.id, organization_id=owner, account_id=actor.account_id)
    db.session.add(origin)
    db.session.flush()
    return origin


# -- the rule, as SQL ----------------------------------------------------------------------

def _not_vsp() -> ColumnElement[bool]:
    return or_(Organization.victim_service_provider.is_(None), Organization.victim_service_provider != 1)


def _is_vsp() -> ColumnElement[bool]:
    return Organization.victim_service_provider == 1


def _any_vsp() -> bool:
    """Is any victim-service provider stored at all? (Usually not: VAWA keeps their data out.)"""
    return db.session.scalar(select(Organization.id).where(_is_vsp()).limit(1)) is not None


def _home_ids(condition: ColumnElement[bool], among: Select | None = None) -> Select:
    """Ids of clients with a home organization meeting ``condition``: a live enrollment in
    one of its projects, or created in this HMIS for it.

    Uncorrelated id sets (``Client.id IN (...)``) rather than per-row EXISTS: PostgreSQL
    hashes each set once, where an EXISTS inside an OR would run per client row (50,000
    clients: about 10 ms instead of 1-4 s). ``among`` limits the set to those client ids.
    """
    # The organization's projects first (a handful), then their enrollments by the
    # (data_source_id, project_id) index: SQLite without statistics would otherwise walk
    # every enrollment of the data source.
    projects = select(Project.data_source_id, Project.project_id).join(
        Organization, and_(Organization.data_source_id == Project.data_source_id,
                           Organization.organization_id == Project.organization_id)).where(condition)
    enrolled = (
        select(Client.id)
        .select_from(Enrollment)
        .join(Client, and_(Client.data_source_id == Enrollment.data_source_id,
                           Client.personal_id == Enrollment.personal_id))
        .where(tuple_(Enrollment.data_source_id, Enrollment.project_id).in_(projects),
               # the same set by project id alone, which lets SQLite use the index's second column
               Enrollment.project_id.in_(select(projects.subquery().c.project_id)),
               Enrollment.date_deleted.is_(None))
    )
    created = select(ClientOrigin.client_id).join(Organization, Organization.id == ClientOrigin.organization_id) \
        .where(condition)
    if among is not None:
        enrolled = enrolled.where(Client.id.in_(among))
        created = created.where(ClientOrigin.client_id.in_(among))
    return enrolled.union(created)


def _active_consent_condition(on: date) -> ColumnElement[bool]:
    return and_(Consent.status == "granted", Consent.start_date <= on,
                or_(Consent.end_date.is_(None), Consent.end_date >= on), Consent.revoked_dt.is_(None))


def _consented_ids(organization_ids: frozenset[int], on: date) -> Select:
    """Ids of clients with an active consent naming one of these organizations (or all)."""
    named = (select(Consent.client_id)
             .join(ConsentOrganization, ConsentOrganization.consent_id == Consent.id)
             .where(_active_consent_condition(on), ConsentOrganization.organization_id.in_(sorted(organization_ids))))
    everyone = select(Consent.client_id).where(_active_consent_condition(on), Consent.all_organizations.is_(True))
    return named.union(everyone)


def _shareable() -> ColumnElement[bool]:
    """The client is not known only through victim-service providers (whose data is never shared).

    Both sets stay small: the providers' clients, and which of them another agency serves too.
    """
    at_vsp = _home_ids(_is_vsp())
    return or_(Client.id.not_in(at_vsp), Client.id.in_(_home_ids(_not_vsp(), among=at_vsp)))


def _restricted_ids() -> Select:
    return select(ClientRestriction.client_id)


def _own(actor: Actor) -> ColumnElement[bool]:
    if not actor.organization_ids:
        return false()
    return Client.id.in_(_home_ids(Organization.id.in_(sorted(actor.organization_ids))))


def client_condition(actor: Actor, on: date | None = None) -> ColumnElement[bool]:
    """A condition on ``Client``: the actor may see this client's profile."""
    if actor.is_system:
        return true()
    if not actor.can("clients.view"):
        return false()
    on = on or today()
    rules = sharing_policy()
    # Shareable at all: not known only through victim-service providers (a constant
    # when no such provider is stored, which keeps big lists fast).
    shareable = _shareable() if _any_vsp() else true()
    if has_full_access(actor):
        return or_(_own(actor), shareable)
    if not actor.organization_ids:
        return false()  # staff of no agency: nothing is theirs, and no consent names them
    by_consent = and_(shareable, Client.id.in_(_consented_ids(actor.organization_ids, on)))
    if rules.client_profile == "coc_wide":
        return or_(_own(actor), by_consent, and_(shareable, Client.id.not_in(_restricted_ids())))
    return or_(_own(actor), by_consent)


def enrollment_condition(actor: Actor, on: date | None = None) -> ColumnElement[bool]:
    """A condition on ``Enrollment``: the actor may see this enrollment's private data."""
    if actor.is_system:
        return true()
    if not actor.can("enrollments.view"):
        return false()
    on = on or today()

    def project_org(condition: ColumnElement[bool]) -> ColumnElement[bool]:
        return exists(
            select(Project.id)
            .join(Organization, and_(Organization.data_source_id == Project.data_source_id,
                                     Organization.organization_id == Project.organization_id))
            .where(Project.data_source_id == Enrollment.data_source_id, Project.project_id == Enrollment.project_id,
                   condition)
            .correlate(Enrollment)
        )

    own = project_org(Organization.id.in_(sorted(actor.organization_ids))) if actor.organization_ids else false()
    if has_full_access(actor):
        return or_(own, project_org(_not_vsp())) if _any_vsp() else true()
    if "enrollments" in sharing_policy().consent_shares and actor.organization_ids:
        consented = select(Client.data_source_id, Client.personal_id).where(
            Client.id.in_(_consented_ids(actor.organization_ids, on)))
        return or_(own, and_(project_org(_not_vsp()),
                             tuple_(Enrollment.data_source_id, Enrollment.personal_id).in_(consented)))
    return own


def filter_clients(actor: Actor, statement: Select) -> Select:
    """``statement`` (selecting from ``Client``) limited to clients whose profile the actor may see."""
    return statement.where(client_condition(actor))


def filter_enrollments(actor: Actor, statement: Select) -> Select:
    """``statement`` (selecting from ``Enrollment``) limited to enrollments whose private data the actor may see."""
    return statement.where(enrollment_condition(actor))


# -- one record ----------------------------------------------------------------------------

def can_see_client(actor: Actor, client: Client) -> bool:
    return db.session.scalar(filter_clients(actor, select(Client.id).where(Client.id == client.id))) is not None


def can_see_enrollment(actor: Actor, enrollment: Enrollment) -> bool:
    """The actor may see this enrollment's private data (assessments, services, exit)."""
    statement = filter_enrollments(actor, select(Enrollment.id).where(Enrollment.id == enrollment.id))
    return db.session.scalar(statement) is not None


def require_client(actor: Actor, client: Client, scope: str = "profile") -> None:
    """Raise :class:`PermissionDenied` unless the actor may see ``client`` in ``scope``.

    ``profile``: the shared client record; ``enrollments``: also private data of at
    least one of the client's enrollments (use :func:`filter_enrollments` for which).
    """
    if scope not in ("profile", "enrollments"):
        raise ValueError(f"unknown scope {scope!r}; expected 'profile' or 'enrollments'")
    if not can_see_client(actor, client):
        raise PermissionDenied("This client's record belongs to another agency, and the client's consent "
                               "does not share it with yours.")
    if scope == "enrollments":
        statement = filter_enrollments(actor, select(Enrollment.id).where(
            Enrollment.data_source_id == client.data_source_id, Enrollment.personal_id == client.personal_id,
            Enrollment.date_deleted.is_(None)))
        if db.session.scalar(statement.limit(1)) is None:
            raise PermissionDenied("This client's enrollments belong to other agencies; they are not shared "
                                   "with yours.")


#: Why an enrollment is refused (the same words wherever the check is made).
ENROLLMENT_NOT_SHARED = "This enrollment belongs to another agency; it is not shared with yours."


def require_enrollment(actor: Actor, enrollment: Enrollment, *, write: bool = False) -> None:
    """Raise :class:`PermissionDenied` unless the actor may see (or, with ``write``, change)
    this enrollment's private data. Changing needs one's own organization's project, or a
    full-access role (which still never reaches a victim-service provider's data)."""
    if not can_see_enrollment(actor, enrollment):
        raise PermissionDenied(ENROLLMENT_NOT_SHARED)
    if write and not (actor.is_system or has_full_access(actor) or enrollment_organization_id(enrollment)
                      in actor.organization_ids):
        raise PermissionDenied("Only the agency that runs this project can change this enrollment.")


def enrollment_organization_id(enrollment: Enrollment) -> int | None:
    """The surrogate id of the organization whose project the enrollment is in."""
    return db.session.scalar(
        select(Organization.id)
        .join(Project, and_(Organization.data_source_id == Project.data_source_id,
                            Organization.organization_id == Project.organization_id))
        .where(Project.data_source_id == enrollment.data_source_id, Project.project_id == enrollment.project_id))


def home_organization_ids(client: Client) -> set[int]:
    """The client's home organizations (see the module docstring)."""
    enrolled = select(Organization.id).join(
        Project, and_(Organization.data_source_id == Project.data_source_id,
                      Organization.organization_id == Project.organization_id)).join(
        Enrollment, and_(Enrollment.data_source_id == Project.data_source_id,
                         Enrollment.project_id == Project.project_id)).where(
        Enrollment.data_source_id == client.data_source_id, Enrollment.personal_id == client.personal_id,
        Enrollment.date_deleted.is_(None))
    created = select(ClientOrigin.organization_id).where(ClientOrigin.client_id == client.id)
    return set(db.session.scalars(enrolled)) | set(db.session.scalars(created))


def serves_client(actor: Actor, client: Client) -> bool:
    """The actor works for one of the client's home organizations."""
    return bool(actor.organization_ids & home_organization_ids(client))


# -- names ---------------------------------------------------------------------------------

def _full_name(client: Client) -> str:
    parts = [client.first_name, client.middle_name, client.last_name, client.name_suffix]
    return " ".join(p.strip() for p in parts if p and p.strip()) or "(no name)"


def hidden_name_ids(actor: Actor, client_ids: Iterable[int]) -> set[int]:
    """Of these clients, the restricted ones whose name the actor may not see."""
    ids = sorted(set(client_ids))
    if not ids or actor.is_system:
        return set()
    restricted = select(Client.id).join(ClientRestriction, ClientRestriction.client_id == Client.id).where(
        Client.id.in_(ids))
    if actor.organization_ids:
        restricted = restricted.where(not_(_own(actor)))
    return set(db.session.scalars(restricted))


def display_names(actor: Actor, clients: Iterable[Client]) -> dict[int, str]:
    """Names to show, by client id, with restricted clients' names hidden (one query for a list)."""
    clients = list(clients)
    hidden = hidden_name_ids(actor, (c.id for c in clients))
    placeholder = sharing_policy().restricted_name_placeholder
    return {c.id: placeholder if c.id in hidden else _full_name(c) for c in clients}


def display_name(actor: Actor, client: Client) -> str:
    """The client's name as this actor may see it (restricted names hidden from other agencies)."""
    return display_names(actor, [client])[client.id]


def is_name_hidden(actor: Actor, client: Client) -> bool:
    return client.id in hidden_name_ids(actor, [client.id])


def is_restricted(client: Client) -> bool:
    return db.session.scalar(select(ClientRestriction.id).where(ClientRestriction.client_id == client.id)) is not None


# -- exports and reports -----------------------------------------------------------------

def actor_for_account(account_id: int | None) -> Actor:
    """The actor a job acts for, rebuilt from the account id it was given (jobs take plain
    values); no account means the system itself (the CLI, scheduled jobs)."""
    from ..models.core import Account
    from .operations import system_actor

    if account_id is None:
        return system_actor()
    account = db.session.get(Account, account_id)
    if account is None or not account.is_active:
        raise PermissionDenied("The account that asked for this is no longer active.")
    return Actor(account_id=account.id, role=account.role, organization_ids=organizations_of(account.id),
                 name=account.name)


def export_enrollment_condition(actor: Actor) -> ColumnElement[bool] | None:
    """The enrollments an HMIS CSV export for ``actor`` may contain (``None``: all of them).

    Client-level files then carry only those enrollments' clients and records. The
    system actor, and a full-access role while no victim-service provider's data is
    stored, export everything.
    """
    if actor.is_system:
        return None
    if has_full_access(actor) and not _any_vsp():
        return None
    return enrollment_condition(actor)


def may_open_export(actor: Actor, requester_id: int | None) -> bool:
    """May ``actor`` list or download an export asked for by ``requester_id`` (None: by the
    system, or, when listing, by anyone)? Their own, or anyone's for full-access roles."""
    return actor.is_system or has_full_access(actor) or (requester_id is not None
                                                         and requester_id == actor.account_id)
