"""Fixtures for the records service: a local project, staff actors, and people to enroll."""
from __future__ import annotations

from datetime import date

import pytest

from hmis.access.operations import Actor
from hmis.extensions import db
from hmis.models import Organization, Project, ProjectCoC
from hmis.models.privacy import AccountOrganization
from hmis.records.ids import local_source


def make_organization(oid: str = "LO1", name: str = "Harbor Services") -> Organization:
    source = local_source()
    org = Organization(data_source_id=source.id, organization_id=oid, organization_name=name,
                       victim_service_provider=0)
    db.session.add(org)
    db.session.flush()
    return org


def make_project(org: Organization, name: str = "Harbor Night Shelter", project_type: int = 1,
                 cocs=("XX-500",), pid: str = "LP1") -> Project:
    project = Project(data_source_id=org.data_source_id, project_id=pid, organization_id=org.organization_id,
                      project_name=name, project_type=project_type, continuum_project=1,
                      operating_start_date=date(2020, 1, 1))
    db.session.add(project)
    for n, coc in enumerate(cocs):
        db.session.add(ProjectCoC(data_source_id=org.data_source_id, project_coc_id=f"{pid}-C{n}", project_id=pid,
                                  coc_code=coc, geocode="119999"))
    db.session.flush()
    return project


@pytest.fixture
def agency(app) -> Organization:
    org = make_organization()
    db.session.commit()
    return org


@pytest.fixture
def project(agency) -> Project:
    made = make_project(agency)
    db.session.commit()
    return made


def actor_for(account, *orgs: Organization) -> Actor:
    for org in orgs:
        db.session.add(AccountOrganization(account_id=account.id, organization_id=org.id))
    db.session.commit()
    return Actor(account_id=account.id, role=account.role, name=account.name,
                 organization_ids=frozenset(o.id for o in orgs))


@pytest.fixture
def staff(agency, make_account) -> Actor:
    """A case manager of the agency, as the service layer sees them."""
    return actor_for(make_account(email="cm@example.org", role="case_manager"), agency)


@pytest.fixture
def analyst(app, make_account) -> Actor:
    account = make_account(email="analyst@example.org", role="analyst")
    return Actor(account_id=account.id, role=account.role, name=account.name)


def person(first="Ada", last="Lovelace", dob="1980-05-17", **more) -> dict:
    return {"first_name": first, "last_name": last, "dob": dob, **more}
