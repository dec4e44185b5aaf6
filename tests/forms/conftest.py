"""Helpers for the forms tests: a project, a household member, a published form."""
from __future__ import annotations

import textwrap
from datetime import date

import pytest

from hmis.definitions import service
from hmis.extensions import db
from hmis.models import Client, Enrollment, Funder, Organization, Project
from hmis.records.ids import local_source

from ..web.conftest import browser  # noqa: F401 - the shared chromium fixture, for test_browser.py


@pytest.fixture
def make_enrollment(app):
    """``make_enrollment(project_type=1, funders=[2], dob=..., relationship=1)`` -> Enrollment."""
    counter = {"n": 0}

    def factory(*, project_type: int = 3, funders=(2,), dob: date | None = date(1980, 5, 1), relationship: int = 1,
                veteran: int | None = 0, entry: date = date(2026, 10, 1)) -> Enrollment:
        counter["n"] += 1
        n = counter["n"]
        source = local_source()
        db.session.add(Organization(data_source_id=source.id, organization_id=f"O{n}", organization_name="Org"))
        db.session.flush()
        project = Project(data_source_id=source.id, project_id=f"P{n}", organization_id=f"O{n}",
                          project_name=f"Project {n}", project_type=project_type)
        db.session.add(project)
        db.session.flush()
        for index, funder in enumerate(funders):
            db.session.add(Funder(data_source_id=source.id, funder_id=f"F{n}-{index}", project_id=f"P{n}",
                                  funder=funder, start_date=date(2020, 1, 1)))
        client = Client(data_source_id=source.id, personal_id=f"C{n}", first_name="Ana", last_name="Ruiz", dob=dob,
                        veteran_status=veteran)
        db.session.add(client)
        db.session.flush()
        enrollment = Enrollment(data_source_id=source.id, enrollment_id=f"E{n}", personal_id=f"C{n}",
                                project_id=f"P{n}", entry_date=entry, household_id=f"H{n}",
                                relationship_to_hoh=relationship)
        db.session.add(enrollment)
        db.session.commit()
        return enrollment

    return factory


@pytest.fixture
def publish_form(app):
    """``publish_form(yaml_text)`` -> the published DefinitionVersion (committed)."""

    def publish(text: str, key: str | None = None):
        text = textwrap.dedent(text)
        import yaml

        key = key or yaml.safe_load(text)["id"]
        version = service.save_draft("form", key, text)
        service.publish(version.id)
        db.session.commit()
        return version

    return publish
