"""Rows for the identity tests, written straight into the HUD tables."""
from __future__ import annotations

from datetime import date

from hmis.access.operations import Actor
from hmis.extensions import db
from hmis.models import Client, DataSource, Enrollment, Exit, Organization, Project, Services


def lead(account_id: int | None = None) -> Actor:
    return Actor(account_id=account_id, role="hmis_lead", name="Test lead")


def source(key: str = "local") -> DataSource:
    ds = DataSource(key=key, name=f"Source {key}")
    db.session.add(ds)
    db.session.flush()
    return ds


def project(ds: DataSource, pid: str = "P1") -> Project:
    if not db.session.query(Organization).filter_by(data_source_id=ds.id, organization_id="O1").first():
        db.session.add(Organization(data_source_id=ds.id, organization_id="O1", organization_name="Harbor",
                                    victim_service_provider=0))
        db.session.flush()
    proj = Project(data_source_id=ds.id, project_id=pid, organization_id="O1", project_name=f"Project {pid}",
                   project_type=1, continuum_project=1, operating_start_date=date(2020, 1, 1))
    db.session.add(proj)
    db.session.flush()
    return proj


def person(ds: DataSource, pid: str, first: str = "Ada", last: str = "Lovelace", dob=date(1980, 5, 17),
           **fields) -> Client:
    client = Client(data_source_id=ds.id, personal_id=pid, first_name=first, last_name=last, dob=dob,
                    name_data_quality=1, dob_data_quality=1, **fields)
    db.session.add(client)
    db.session.flush()
    return client


def enroll(ds: DataSource, proj: Project, client: Client, eid: str, entry: date, exit_on: date | None = None,
           services: int = 0) -> Enrollment:
    row = Enrollment(data_source_id=ds.id, enrollment_id=eid, personal_id=client.personal_id,
                     project_id=proj.project_id, entry_date=entry, household_id=f"H{eid}", relationship_to_hoh=1)
    db.session.add(row)
    db.session.flush()
    if exit_on:
        db.session.add(Exit(data_source_id=ds.id, exit_id=f"X{eid}", enrollment_id=eid,
                            personal_id=client.personal_id, exit_date=exit_on, destination=101))
    for n in range(services):
        db.session.add(Services(data_source_id=ds.id, services_id=f"S{eid}-{n}", enrollment_id=eid,
                                personal_id=client.personal_id, date_provided=entry, record_type=200, type_provided=1))
    db.session.flush()
    return row
