"""Tiny hand-built HMIS worlds for report rule tests: a project, people, stays, exits, records."""
from __future__ import annotations

import itertools
from datetime import date, datetime
from typing import Any

from hmis.extensions import db
from hmis.models import (
    Assessment, CEParticipation, Client, DataSource, Disabilities, Enrollment, Event, Exit, IncomeBenefits,
    Organization, Project, ProjectCoC, Services,
)

START, END = date(2025, 10, 1), date(2026, 9, 30)
_ids = itertools.count(1)


def d(text: str) -> date:
    return date.fromisoformat(text)


class World:
    """Add records with sensible defaults; every method returns the HUD id it made."""

    def __init__(self, key: str = "test") -> None:
        self.source = DataSource(key=key, name=key)
        db.session.add(self.source)
        db.session.flush()
        db.session.add(Organization(data_source_id=self.source.id, organization_id="O1", organization_name="Org"))
        db.session.flush()

    def _id(self, prefix: str) -> str:
        return f"{prefix}{next(_ids)}"

    def project(self, project_type: int = 0, *, project_id: str | None = None, coc: str = "XX-501",
                name: str = "Shelter") -> str:
        project_id = project_id or self._id("P")
        db.session.add(Project(data_source_id=self.source.id, project_id=project_id, organization_id="O1",
                               project_name=name, project_type=project_type, continuum_project=1))
        db.session.flush()
        db.session.add(ProjectCoC(data_source_id=self.source.id, project_coc_id=self._id("PC"), project_id=project_id,
                                  coc_code=coc))
        db.session.flush()
        return project_id

    def ce_access_point(self, project_id: str, start: str = "2020-01-01", end: str | None = None,
                        access_point: int = 1) -> None:
        """A 2.09 Coordinated Entry Participation record: the project is an access point from ``start``."""
        db.session.add(CEParticipation(data_source_id=self.source.id, ce_participation_id=self._id("CEP"),
                                       project_id=project_id, access_point=access_point,
                                       ce_participation_status_start_date=d(start),
                                       ce_participation_status_end_date=d(end) if end else None))
        db.session.flush()

    def client(self, dob: str | None = "1980-01-01", **fields: Any) -> str:
        personal_id = fields.pop("personal_id", None) or self._id("C")
        fields.setdefault("dob_data_quality", 1 if dob else 99)
        ssn = fields.pop("ssn", None)
        client = Client(data_source_id=self.source.id, personal_id=personal_id,
                        dob=d(dob) if dob else None, first_name="A", last_name=personal_id, **fields)
        db.session.add(client)
        db.session.flush()
        if ssn:  # kept encrypted, as every write path keeps it (hmis.access.sensitive)
            from hmis.access.sensitive import store

            store(db.session, client, ssn, verbatim=True)
            db.session.flush()
        return personal_id

    def enroll(self, personal_id: str, project_id: str, entry: str, *, exit: str | None = None,
               household: str | None = None, relationship: int = 1, destination: int | None = None,
               exit_fields: dict | None = None, **fields: Any) -> str:
        enrollment_id = self._id("E")
        fields.setdefault("disabling_condition", 0)
        fields.setdefault("enrollment_coc", "XX-501")
        db.session.add(Enrollment(data_source_id=self.source.id, enrollment_id=enrollment_id, personal_id=personal_id,
                                  project_id=project_id, entry_date=d(entry), household_id=household or enrollment_id,
                                  relationship_to_hoh=relationship, date_created=datetime.fromisoformat(entry),
                                  **fields))
        db.session.flush()
        if exit:
            db.session.add(Exit(data_source_id=self.source.id, exit_id=self._id("X"), enrollment_id=enrollment_id,
                                personal_id=personal_id, exit_date=d(exit), destination=destination,
                                **(exit_fields or {})))
            db.session.flush()
        return enrollment_id

    def income(self, personal_id: str, enrollment_id: str, on: str, stage: int, **fields: Any) -> None:
        db.session.add(IncomeBenefits(data_source_id=self.source.id, income_benefits_id=self._id("I"),
                                      enrollment_id=enrollment_id, personal_id=personal_id, information_date=d(on),
                                      data_collection_stage=stage, **fields))
        db.session.flush()

    def disability(self, personal_id: str, enrollment_id: str, on: str, disability_type: int, response: int = 1,
                   indefinite: int | None = 1, stage: int = 1) -> None:
        db.session.add(Disabilities(data_source_id=self.source.id, disabilities_id=self._id("D"),
                                    enrollment_id=enrollment_id, personal_id=personal_id, information_date=d(on),
                                    disability_type=disability_type, disability_response=response,
                                    indefinite_and_impairs=indefinite, data_collection_stage=stage))
        db.session.flush()

    def bed_night(self, personal_id: str, enrollment_id: str, on: str) -> None:
        db.session.add(Services(data_source_id=self.source.id, services_id=self._id("S"), enrollment_id=enrollment_id,
                                personal_id=personal_id, date_provided=d(on), record_type=200, type_provided=200))
        db.session.flush()

    def assessment(self, personal_id: str, enrollment_id: str, on: str, *, assessment_type: int = 3,
                   level: int = 2, prioritization: int = 1) -> None:
        db.session.add(Assessment(data_source_id=self.source.id, assessment_id=self._id("A"),
                                  enrollment_id=enrollment_id, personal_id=personal_id, assessment_date=d(on),
                                  assessment_location="Hub", assessment_type=assessment_type, assessment_level=level,
                                  prioritization_status=prioritization))
        db.session.flush()

    def event(self, personal_id: str, enrollment_id: str, on: str, event: int = 10) -> None:
        db.session.add(Event(data_source_id=self.source.id, event_id=self._id("V"), enrollment_id=enrollment_id,
                             personal_id=personal_id, event_date=d(on), event=event))
        db.session.flush()
