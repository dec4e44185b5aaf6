"""A confirmed import queues a duplicate scan, so imported people meet the review queue."""
from __future__ import annotations

from sqlalchemy import select

from hmis.extensions import db
from hmis.interchange import services
from hmis.models import Client, Job
from hmis.models.identity import DuplicateCandidate

from ..interchange.builders import base_records, write_export


def test_confirmed_import_queues_a_scan_that_finds_the_new_duplicate(app, tmp_path):
    records = base_records()
    twin = dict(records["Client"][0], PersonalID="C9", FirstName="Mariah")  # same SSN and DOB, a typo'd name
    records["Client"].append(twin)
    path = write_export(tmp_path / "export.zip", records)

    run = services.create_import_run(path, "export.zip")
    services.validate_import(run.id)
    outcome = services.run_import(run.id)

    assert outcome["status"] == "imported"
    scans = db.session.scalars(select(Job).where(Job.kind == "duplicates.find")).all()
    assert [job.status for job in scans] == ["finished"]
    ids = {c.personal_id: c.id for c in db.session.scalars(select(Client))}
    pairs = {(p.client_a_id, p.client_b_id) for p in db.session.scalars(select(DuplicateCandidate))}
    assert tuple(sorted((ids["C1"], ids["C9"]))) in pairs


def test_a_failed_import_queues_no_scan(app, tmp_path, monkeypatch):
    import pytest

    path = write_export(tmp_path / "export.zip", base_records())
    run = services.create_import_run(path, "export.zip")
    services.validate_import(run.id)

    def broken(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services.Importer, "run", broken)
    with pytest.raises(RuntimeError):
        services.run_import(run.id)
    assert db.session.scalars(select(Job).where(Job.kind == "duplicates.find")).all() == []
