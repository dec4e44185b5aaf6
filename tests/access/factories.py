"""Small builders for privacy tests: organizations, projects, clients, enrollments, consents."""
from __future__ import annotations

from datetime import date, timedelta

from hmis.extensions import db
from hmis.models import Client, Enrollment, Organization, Project
from hmis.models.privacy import ClientOrigin, ClientRestriction, Consent, ConsentOrganization
from hmis.records.ids import local_source, new_key


def make_org(name: str, vsp: bool = False) -> Organization:
    org = Organization(data_source_id=local_source().id, organization_id=new_key(), organization_name=name,
                       victim_service_provider=1 if vsp else 0)
    db.session.add(org)
    db.session.flush()
    return org


def make_project(org: Organization, name: str | None = None) -> Project:
    project = Project(data_source_id=org.data_source_id, project_id=new_key(), organization_id=org.organization_id,
                      project_name=name or f"{org.organization_name} shelter", project_type=1)
    db.session.add(project)
    db.session.flush()
    return project


def make_client(first: str = "Ana", last: str = "Doe", origin: Organization | None = None) -> Client:
    client = Client(data_source_id=local_source().id, personal_id=new_key(), first_name=first, last_name=last)
    db.session.add(client)
    db.session.flush()
    if origin is not None:
        db.session.add(ClientOrigin(client_id=client.id, organization_id=origin.id))
        db.session.flush()
    return client


def enroll(client: Client, project: Project, entry: date | None = None) -> Enrollment:
    enrollment = Enrollment(data_source_id=client.data_source_id, enrollment_id=new_key(),
                            personal_id=client.personal_id, project_id=project.project_id,
                            entry_date=entry or date.today() - timedelta(days=30), household_id=new_key(),
                            relationship_to_hoh=1)
    db.session.add(enrollment)
    db.session.flush()
    return enrollment


def consent(client: Client, orgs=(), *, start: date | None = None, end: date | None = None,
            status: str = "granted", all_organizations: bool = False, revoked: bool = False) -> Consent:
    from hmis.models.core import utcnow

    row = Consent(client_id=client.id, status=status, all_organizations=all_organizations,
                  start_date=start or date.today() - timedelta(days=1), end_date=end, documentation="signed_form",
                  revoked_dt=utcnow() if revoked else None)
    db.session.add(row)
    db.session.flush()
    for org in orgs:
        db.session.add(ConsentOrganization(consent_id=row.id, organization_id=org.id))
    db.session.flush()
    return row


def restrict(client: Client, reason: str = "dv_survivor") -> ClientRestriction:
    row = ClientRestriction(client_id=client.id, reason=reason)
    db.session.add(row)
    db.session.flush()
    return row
