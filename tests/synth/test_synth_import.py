"""Synthetic exports are valid HMIS CSV: our importer takes them without a complaint."""
from sqlalchemy import func, select

from hmis.extensions import db
from hmis.interchange.importer import import_export
from hmis.models import Client, Enrollment
from hmis.synth import generate


def test_synthetic_export_imports_cleanly(app, tmp_path):
    summary = generate(300, tmp_path / "synth.zip", seed=3)
    result = import_export(summary.out)
    assert result.status == "imported"
    complaints = {(file, rule): n for (severity, file, rule, _), n in result.log.counts.items()}
    assert complaints == {}
    assert db.session.scalar(select(func.count()).select_from(Client)) == summary.rows["Client"] == 300
    assert db.session.scalar(select(func.count()).select_from(Enrollment)) == summary.rows["Enrollment"]
