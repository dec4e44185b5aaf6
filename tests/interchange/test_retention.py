"""Files holding client data are deleted once the retention period is over."""
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from hmis.extensions import db
from hmis.interchange.services import create_import_run, create_export, export_folder, purge_old_files, validate_import
from hmis.models import ImportRun, Job
from hmis.models.core import utcnow

from .builders import write_export


def test_old_uploads_and_exports_are_purged(app, tmp_path):
    fresh_upload = create_import_run(write_export(tmp_path / "a.zip"), "fresh.zip")
    old_upload = create_import_run(write_export(tmp_path / "b.zip"), "old.zip")
    validate_import(old_upload.id)
    old_upload.created_dt = utcnow() - timedelta(days=30)
    export = create_export(None, None, None)
    job = Job(id="old-export", kind="export-csv", title="Export", status="finished",
              result=export, finished_dt=utcnow() - timedelta(days=30))
    db.session.add(job)
    db.session.commit()

    assert purge_old_files() == {"uploads": 1, "exports": 1}
    assert Path(fresh_upload.stored_path).exists()
    old = db.session.get(ImportRun, old_upload.id)
    assert (old.stored_path, old.status) == (None, "expired")
    assert not Path(export["path"]).exists()
    assert list(export_folder().iterdir()) == []

    assert purge_old_files() == {"uploads": 0, "exports": 0}


def test_purge_command(sqlite_app, monkeypatch):
    from hmis.cli import cli

    result = CliRunner().invoke(cli, ["purge-files"],
                                env={"DATABASE_URL": sqlite_app.config["SQLALCHEMY_DATABASE_URI"],
                                     "HMIS_INSTANCE_PATH": sqlite_app.instance_path})
    assert result.exit_code == 0, result.output
    assert "removed 0 uploads and 0 exports older than 7 days" in result.output


def test_an_expired_upload_is_explained(signed_in, tmp_path):
    run = create_import_run(write_export(tmp_path / "a.zip"), "old.zip")
    run.created_dt = utcnow() - timedelta(days=30)
    db.session.commit()
    purge_old_files()
    html = signed_in.get(f"/imports/{run.id}").get_data(as_text=True)
    assert "This upload has expired" in html and "deleted after 7 days without being imported" in html
