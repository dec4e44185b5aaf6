"""Rows for the web tests, written straight into the HUD tables (the pages only read them)."""
from __future__ import annotations

from datetime import date

from hmis.extensions import db
from hmis.models import Client, DataSource, Enrollment, Exit, Funder, Inventory, Organization, Project, ProjectCoC


def data_source(key: str = "test-source", name: str = "Test HMIS") -> DataSource:
    source = DataSource(key=key, name=name)
    db.session.add(source)
    db.session.flush()
    return source


def organization(source: DataSource, oid: str, name: str) -> Organization:
    org = Organization(data_source_id=source.id, organization_id=oid, organization_name=name,
                       victim_service_provider=0)
    db.session.add(org)
    db.session.flush()
    return org


def project(source: DataSource, org: Organization, pid: str, name: str, project_type: int = 1) -> Project:
    proj = Project(data_source_id=source.id, project_id=pid, organization_id=org.organization_id,
                   project_name=name, project_type=project_type, continuum_project=1,
                   operating_start_date=date(2020, 1, 1))
    db.session.add(proj)
    db.session.flush()
    return proj


def client(source: DataSource, pid: str, first: str, last: str, dob: date | None = date(1980, 5, 17),
           veteran: int | None = 0) -> Client:
    person = Client(data_source_id=source.id, personal_id=pid, first_name=first, last_name=last, dob=dob,
                    veteran_status=veteran, name_data_quality=1, dob_data_quality=1)
    db.session.add(person)
    db.session.flush()
    return person


def enrollment(source: DataSource, proj: Project, person: Client, eid: str, entry: date,
               exit_date: date | None = None) -> Enrollment:
    row = Enrollment(data_source_id=source.id, enrollment_id=eid, personal_id=person.personal_id,
                     project_id=proj.project_id, entry_date=entry, household_id=f"H{eid}", relationship_to_hoh=1)
    db.session.add(row)
    db.session.flush()
    if exit_date:
        db.session.add(Exit(data_source_id=source.id, exit_id=f"X{eid}", enrollment_id=eid,
                            personal_id=person.personal_id, exit_date=exit_date, destination=101))
        db.session.flush()
    return row


def small_world() -> dict:
    """Two organizations, three projects, five clients, four enrollments (one exited)."""
    source = data_source()
    shelter_org = organization(source, "O1", "Harbor Shelter Services")
    outreach_org = organization(source, "O2", "Northside Outreach")
    shelter = project(source, shelter_org, "P1", "Harbor Night Shelter", project_type=1)
    th = project(source, shelter_org, "P2", "Harbor Transitional Housing", project_type=2)
    outreach = project(source, outreach_org, "P3", "Street Team", project_type=4)
    people = [
        client(source, "C1", "Ada", "Lovelace", veteran=0),
        client(source, "C2", "Grace", "Hopper", veteran=1),
        client(source, "C3", "Alan", "Turing"),
        client(source, "C4", "Katherine", "Johnson"),
        client(source, "C5", "John", "Smith", dob=None),
    ]
    enrollment(source, shelter, people[0], "E1", date(2024, 1, 10), exit_date=date(2024, 2, 1))
    enrollment(source, shelter, people[1], "E2", date(2024, 3, 5))
    enrollment(source, th, people[1], "E3", date(2024, 4, 1))
    enrollment(source, outreach, people[4], "E4", date(2024, 6, 1))
    db.session.add(Funder(data_source_id=source.id, funder_id="F1", project_id="P1", funder=2,
                          grant_id="GRANT-7", start_date=date(2020, 1, 1)))
    db.session.add(ProjectCoC(data_source_id=source.id, project_coc_id="PC1", project_id="P1",
                              coc_code="XX-500", geocode="119999", city="Harbor City", state="XX"))
    db.session.add(Inventory(data_source_id=source.id, inventory_id="I1", project_id="P1", coc_code="XX-500",
                             household_type=1, bed_inventory=40, unit_inventory=40,
                             inventory_start_date=date(2020, 1, 1)))
    db.session.commit()
    return {"source": source, "orgs": [shelter_org, outreach_org], "projects": [shelter, th, outreach],
            "people": people}
