"""Consent / release of information (ROI) and client restrictions: the service layer.

A consent names the organizations a client agrees to share their profile with (or
all participating ones), from a start date to an optional end date, with how it was
documented. A refusal is recorded the same way and shares nothing. Revoking ends a
consent at once; nothing is ever deleted, so the history stays readable.

Only staff of an organization that serves the client (or a full-access role) may
record or revoke a client's consent or restriction: another agency seeing the
profile through a consent must not be able to widen it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Iterable

from sqlalchemy import select

from ..extensions import db
from ..models import Client, Organization
from ..models.core import Account, utcnow
from ..models.privacy import ClientRestriction, Consent, ConsentOrganization
from . import audit, policy
from .operations import Actor, PermissionDenied, operation

STATUSES = {"granted": "Consent given", "refused": "Consent refused"}
DOCUMENTATION = {
    "signed_form": "Signed release form",
    "electronic_signature": "Electronic signature",
    "verbal": "Verbal consent, witnessed by staff",
    "other": "Other (see notes)",
}
RESTRICTION_REASONS = {
    "dv_survivor": "Survivor of domestic violence",
    "safety": "Other safety concern",
    "other": "Other (client's request)",
}
MAX_NOTES = 2000
MAX_REASON = 500


class ConsentError(ValueError):
    """A consent cannot be recorded as given; ``errors`` maps each field to what is wrong."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class ConsentView:
    """A consent with what the screens show about it."""

    consent: Consent
    organizations: list[Organization] = field(default_factory=list)
    state: str = ""  #: active, not_started, expired, revoked, refused
    recorded_by: str = ""


def state_of(consent: Consent, on: date | None = None) -> str:
    """active, not_started, expired, revoked or refused."""
    on = on or policy.today()
    if consent.status == "refused":
        return "refused"
    if consent.revoked_dt is not None:
        return "revoked"
    if consent.start_date > on:
        return "not_started"
    if consent.end_date is not None and consent.end_date < on:
        return "expired"
    return "active"


def _require_serves(actor: Actor, client: Client) -> None:
    policy.require_client(actor, client)
    if not (policy.has_full_access(actor) or policy.serves_client(actor, client)):
        raise PermissionDenied("Only an agency that serves this client can change their consent or restriction.")


@operation("consents.list", permission="consents.view")
def list_consents(actor: Actor, client: Client) -> list[ConsentView]:
    """The client's consents and refusals, newest first."""
    policy.require_client(actor, client)
    rows = db.session.scalars(select(Consent).where(Consent.client_id == client.id)
                              .order_by(Consent.recorded_dt.desc(), Consent.id.desc())).all()
    if not rows:
        return []
    named = db.session.execute(
        select(ConsentOrganization.consent_id, Organization)
        .join(Organization, Organization.id == ConsentOrganization.organization_id)
        .where(ConsentOrganization.consent_id.in_([r.id for r in rows]))
        .order_by(Organization.organization_name)).all()
    people = dict(db.session.execute(select(Account.id, Account.name).where(
        Account.id.in_({r.recorded_by_id for r in rows if r.recorded_by_id}))).all())
    views = {r.id: ConsentView(r, [], state_of(r), people.get(r.recorded_by_id, "")) for r in rows}
    for consent_id, organization in named:
        views[consent_id].organizations.append(organization)
    return list(views.values())


@operation("consents.record", permission="consents.edit")
def record_consent(actor: Actor, client: Client, *, status: str, start_date: date | None, end_date: date | None,
                   organization_ids: Iterable[int] = (), all_organizations: bool = False,
                   documentation: str = "", notes: str = "") -> Consent:
    """Record a consent (or refusal) for ``client``.

    :raise ConsentError: naming each field that is wrong (nothing is written).
    """
    _require_serves(actor, client)
    orgs = sorted({int(i) for i in organization_ids})
    errors: dict[str, str] = {}
    if status not in STATUSES:
        errors["status"] = f"Choose one of: {', '.join(STATUSES.values())}."
    if start_date is None:
        errors["start_date"] = "Give the date the consent starts."
    if end_date is not None and start_date is not None and end_date < start_date:
        errors["end_date"] = "The end date is before the start date."
    if documentation not in DOCUMENTATION:
        errors["documentation"] = "Say how the consent was documented."
    if status == "granted" and not orgs and not all_organizations:
        errors["organizations"] = "Name at least one organization, or all participating organizations."
    if orgs:
        found = set(db.session.scalars(select(Organization.id).where(Organization.id.in_(orgs))))
        if set(orgs) - found:
            errors["organizations"] = "An organization named does not exist."
    if len(notes or "") > MAX_NOTES:
        errors["notes"] = f"Notes can be at most {MAX_NOTES} characters."
    if errors:
        raise ConsentError(errors)
    consent = Consent(client_id=client.id, status=status, all_organizations=bool(all_organizations and
                                                                                  status == "granted"),
                      start_date=start_date, end_date=end_date, documentation=documentation,
                      notes=(notes or None), recorded_by_id=actor.account_id,
                      recorded_for_id=_recording_organization(actor, client))
    db.session.add(consent)
    db.session.flush()
    for organization_id in (orgs if status == "granted" else ()):
        db.session.add(ConsentOrganization(consent_id=consent.id, organization_id=organization_id))
    db.session.flush()
    audit.record("consent.record", subject_type="client", subject_id=client.id, details=audit.changes(None, {
        "consent_id": consent.id, "status": status, "start_date": start_date, "end_date": end_date,
        "organizations": orgs, "all_organizations": consent.all_organizations, "documentation": documentation}))
    return consent


def _recording_organization(actor: Actor, client: Client) -> int | None:
    serving = actor.organization_ids & policy.home_organization_ids(client)
    return min(serving) if serving else None


@operation("consents.revoke", permission="consents.edit")
def revoke_consent(actor: Actor, consent_id: int, reason: str = "") -> Consent:
    """Revoke a consent from now on (the record stays, marked revoked)."""
    consent = db.session.get(Consent, consent_id)
    if consent is None:
        raise ConsentError({"consent": f"There is no consent {consent_id}."})
    client = db.session.get(Client, consent.client_id)
    _require_serves(actor, client)
    if consent.status != "granted" or consent.revoked_dt is not None:
        raise ConsentError({"consent": "Only a consent that was given, and not revoked yet, can be revoked."})
    if len(reason or "") > MAX_REASON:
        raise ConsentError({"reason": f"The reason can be at most {MAX_REASON} characters."})
    consent.revoked_dt = utcnow()
    consent.revoked_by_id = actor.account_id
    consent.revoked_reason = reason or None
    db.session.flush()
    audit.record("consent.revoke", subject_type="client", subject_id=client.id,
                 details={"consent_id": consent.id, "reason": reason or ""})
    return consent


@operation("clients.restrict", permission="clients.edit")
def set_restriction(actor: Actor, client: Client, reason: str | None) -> ClientRestriction | None:
    """Restrict the client (hide their name from other agencies), or lift it with ``reason=None``."""
    _require_serves(actor, client)
    row = db.session.scalar(select(ClientRestriction).where(ClientRestriction.client_id == client.id))
    before = {"restricted": row is not None, "reason": row.reason if row else None}
    if reason is None:
        if row is not None:
            db.session.delete(row)
            row = None
    else:
        if reason not in RESTRICTION_REASONS:
            raise ConsentError({"reason": f"Choose one of: {', '.join(RESTRICTION_REASONS.values())}."})
        if row is None:
            row = ClientRestriction(client_id=client.id, reason=reason, account_id=actor.account_id)
            db.session.add(row)
        else:
            row.reason = reason
    db.session.flush()
    after = {"restricted": row is not None, "reason": row.reason if row else None}
    if before != after:
        audit.record("client.restrict", subject_type="client", subject_id=client.id,
                     details=audit.changes(before, after))
    return row
