"""Settings: declared once, garbage rejected at start with a message naming it."""
import pytest

from hmis import create_app
from hmis.config import SETTINGS, SettingsError, load_settings


@pytest.mark.parametrize("env, value, fragment", [
    ("DATABASE_URL", "mysql://x@y/z", "DATABASE_URL"),
    ("REDIS_URL", "http://localhost:6379", "REDIS_URL"),
    ("HMIS_JOB_TIMEOUT", "soon", "HMIS_JOB_TIMEOUT"),
    ("HMIS_JOB_TIMEOUT", "-5", "must not be negative"),
    ("HMIS_DEMO_DATA", "maybe", "HMIS_DEMO_DATA"),
    ("HMIS_MAX_UPLOAD_MB", "1e3", "HMIS_MAX_UPLOAD_MB"),
])
def test_garbage_is_rejected_with_the_setting_named(tmp_path, env, value, fragment):
    with pytest.raises(SettingsError, match=fragment):
        load_settings(environ={env: value, "HMIS_INSTANCE_PATH": str(tmp_path)})


def test_create_app_refuses_garbage(tmp_path):
    with pytest.raises(SettingsError, match="REDIS_URL"):
        create_app({"REDIS_URL": "ftp://nope", "INSTANCE_PATH": str(tmp_path)})


def test_defaults_are_embedded_sqlite_and_inline_jobs(tmp_path):
    values = load_settings(environ={"HMIS_INSTANCE_PATH": str(tmp_path)})
    assert values["DATABASE_URL"] == f"sqlite:///{tmp_path / 'hmis.sqlite3'}"
    assert values["REDIS_URL"] == ""
    assert len(values["SECRET_KEY"]) == 64
    # The generated secret is kept, so sessions survive a restart.
    assert load_settings(environ={"HMIS_INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"] == values["SECRET_KEY"]


def test_postgres_urls_use_psycopg3(tmp_path):
    values = load_settings(environ={"DATABASE_URL": "postgres://u@h/db", "HMIS_INSTANCE_PATH": str(tmp_path)})
    assert values["DATABASE_URL"] == "postgresql+psycopg://u@h/db"


def test_production_needs_explicit_secret_and_database(tmp_path):
    with pytest.raises(SettingsError, match="SECRET_KEY and DATABASE_URL"):
        load_settings(environ={"HMIS_PRODUCTION": "1", "HMIS_INSTANCE_PATH": str(tmp_path)})


def test_every_setting_is_described():
    assert all(s.description and s.env for s in SETTINGS)
    assert len({s.key for s in SETTINGS}) == len(SETTINGS)
