"""Helpers for the workflow tests: publish definitions, and local HUD rows to run them on."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from hmis.access.operations import Actor, system_actor
from hmis.definitions import service
from hmis.extensions import db
from hmis.models.privacy import ClientOrigin
from hmis.models import Client, Enrollment, Inventory, Organization, Project
from hmis.records.ids import local_source, new_key

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / "workflows"


def publish(kind: str, key: str, text: str):
    version = service.save_draft(kind, key, text)
    service.publish(version.id)
    db.session.commit()
    return version


def publish_shipped(key: str):
    return publish("workflow", key, (WORKFLOWS / f"{key}.yaml").read_text(encoding="utf-8"))


def publish_profile():
    """The shipped client-profile form: what a search or household step creates a client with."""
    return publish("form", "hud-client-profile",
                   (ROOT / "form_definitions" / "hud-client-profile.yaml").read_text(encoding="utf-8"))


def staff(role: str = "case_manager", account_id: int | None = None, name: str = "Sam Staff",
          organization_ids: frozenset[int] | None = None) -> Actor:
    """A staff member; by default working for every organization in the test database."""
    if organization_ids is None:
        organization_ids = frozenset(db.session.scalars(select(Organization.id)))
    return Actor(account_id=account_id, role=role, name=name, organization_ids=organization_ids)


class World:
    """A local organization and project, and clients to enroll, all in the ``local`` data source."""

    def __init__(self, project_type: int = 1, beds: int | None = 40, name: str = "Harbor Night Shelter",
                 project_id: str | None = None):
        self.source = local_source()
        org = Organization(data_source_id=self.source.id, organization_id=new_key(), organization_name="Harbor",
                           victim_service_provider=0)
        db.session.add(org)
        db.session.flush()
        self.organization = org
        self.project = Project(data_source_id=self.source.id, project_id=project_id or new_key(),
                               organization_id=org.organization_id, project_name=name, project_type=project_type,
                               continuum_project=1, operating_start_date=date(2020, 1, 1))
        db.session.add(self.project)
        db.session.flush()
        if beds is not None:
            db.session.add(Inventory(data_source_id=self.source.id, inventory_id=new_key(),
                                     project_id=self.project.project_id, coc_code="XX-500", household_type=1,
                                     bed_inventory=beds, unit_inventory=beds, inventory_start_date=date(2020, 1, 1)))
        db.session.flush()

    def client(self, first: str = "Ana", last: str = "Doe") -> Client:
        person = Client(data_source_id=self.source.id, personal_id=new_key(), first_name=first, last_name=last,
                        dob=date(1980, 1, 1), dob_data_quality=1, name_data_quality=1)
        db.session.add(person)
        db.session.flush()
        db.session.add(ClientOrigin(client_id=person.id, organization_id=self.organization.id))
        db.session.flush()
        return person

    def enroll(self, person: Client, entry: date, household: str | None = None, relationship: int = 1) -> Enrollment:
        row = Enrollment(data_source_id=self.source.id, enrollment_id=new_key(), personal_id=person.personal_id,
                         project_id=self.project.project_id, entry_date=entry, household_id=household or new_key(),
                         relationship_to_hoh=relationship)
        db.session.add(row)
        db.session.flush()
        return row

    def many(self, count: int, entry: date) -> list[Enrollment]:
        clients = [Client(data_source_id=self.source.id, personal_id=new_key(), first_name=f"Guest{i:04d}",
                          last_name="Sample", dob=date(1980, 1, 1)) for i in range(count)]
        db.session.add_all(clients)
        db.session.flush()
        rows = [Enrollment(data_source_id=self.source.id, enrollment_id=new_key(), personal_id=c.personal_id,
                           project_id=self.project.project_id, entry_date=entry, household_id=new_key(),
                           relationship_to_hoh=1) for c in clients]
        db.session.add_all(rows)
        db.session.flush()
        return rows


@pytest.fixture
def world(app):
    made = World()
    db.session.commit()
    return made


@pytest.fixture
def system():
    return system_actor("test")


TEST_FORM = """\
id: {key}
kind: form
title: Test form {key}
stage: {stage}
items:
  - id: note
    type: text
    label: Note
"""


def publish_test_forms() -> dict[str, int]:
    """One small form per stage and form rules that pick them, for every project.

    Returns the published version id of each form, by stage.
    """
    versions = {}
    rules = []
    for stage in ("project_start", "annual", "exit"):
        key = f"test-{stage.replace('_', '-')}"
        versions[stage] = publish("form", key, TEST_FORM.format(key=key, stage=stage)).id
        rules.append({"id": f"rule-{key}", "stage": stage, "form": key})
    import yaml

    publish("admin", "form-rules", yaml.safe_dump({"id": "form-rules", "kind": "admin", "title": "Form rules",
                                                  "rules": rules}))
    return versions


def submit_form(versions: dict[str, int], enrollment: Enrollment, stage: str) -> None:
    """A submitted response of the stage's test form for ``enrollment`` (as the forms room saves one)."""
    from hmis.models.core import utcnow
    from hmis.models.forms import FormResponse

    db.session.add(FormResponse(form_key=f"test-{stage.replace('_', '-')}", definition_version_id=versions[stage],
                                enrollment_id=enrollment.id, stage=stage, status="submitted",
                                answers={"note": "done"}, submitted_dt=utcnow()))
    db.session.flush()
