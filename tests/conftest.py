"""Shared fixtures. Database tests run twice: on SQLite and on PostgreSQL.

PostgreSQL and Redis tests skip only when the service is absent *and*
HMIS_REQUIRE_SERVICES is unset; CI sets it, so there they fail instead.
"""
from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from hmis import create_app
from hmis.extensions import db

ROOT = Path(__file__).resolve().parents[1]
SHARED_HUD = ROOT.parent / "shared" / "hud"
HUD_SAMPLE = SHARED_HUD / "samples" / "lsa_sample_hmis_export_fy2026.zip"
PG_ADMIN_URL = os.environ.get("HMIS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_TEST_URL = os.environ.get("HMIS_TEST_REDIS", "redis://127.0.0.1:6379/15")
REQUIRE_SERVICES = bool(os.environ.get("HMIS_REQUIRE_SERVICES"))


def _service_missing(name: str, reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{name} is required (HMIS_REQUIRE_SERVICES is set) but {reason}")
    pytest.skip(f"{name} not available: {reason}")


@contextmanager
def scratch_pg_database(prefix: str = "hmis_test") -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped on the way out."""
    try:
        import psycopg

        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        _service_missing("PostgreSQL", str(exc).strip())
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session")
def pg_database():
    """A throwaway PostgreSQL database, migrated once for the session."""
    with scratch_pg_database() as url:
        migrated = create_app({"DATABASE_URL": url, "INSTANCE_PATH": "/tmp/hmis-test-instance", "TESTING": True})
        with migrated.app_context():
            from hmis.db import upgrade

            upgrade()
            db.engine.dispose()
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite file; each test gets a copy (faster than migrating each time)."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.sqlite3"
    migrated = create_app({"DATABASE_URL": f"sqlite:///{path}", "INSTANCE_PATH": str(folder), "TESTING": True})
    with migrated.app_context():
        from hmis.db import upgrade

        upgrade()
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.engine.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


def _make_app(url: str, instance: Path, **extra):
    config = {
        "DATABASE_URL": url, "INSTANCE_PATH": str(instance), "TESTING": True,
        "WTF_CSRF_ENABLED": False, "REDIS_URL": "", "SECRET_KEY": "test-secret",
        # Two-factor sign-in has its own tests (tests/access/test_two_factor.py), which turn it back on.
        "SKIP_TWO_FACTOR": True,
    }
    config.update(extra)
    return create_app(config)


def _truncate_all() -> None:
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.session.commit()


@pytest.fixture
def app_factory(request, tmp_path):
    """Build an app on the requested backend with extra settings: ``app_factory('sqlite', REDIS_URL=...)``."""
    built = []

    def factory(backend_name: str = "sqlite", **extra):
        if backend_name == "postgresql":
            url = request.getfixturevalue("pg_database")
        else:
            path = tmp_path / f"hmis-{len(built)}.sqlite3"
            shutil.copy(request.getfixturevalue("sqlite_template"), path)
            url = f"sqlite:///{path}"
        created = _make_app(url, tmp_path, **extra)
        built.append((backend_name, created))
        return created

    yield factory
    for backend_name, created in built:
        with created.app_context():
            db.session.remove()
            if backend_name == "postgresql":
                _truncate_all()
            db.engine.dispose()


@pytest.fixture
def app(backend, app_factory):
    """An app with a migrated, empty database on each backend, inside an app context."""
    created = app_factory(backend)
    with created.app_context():
        yield created


@pytest.fixture
def sqlite_app(app_factory):
    """The same on SQLite only, for tests that do not touch backend-specific code."""
    created = app_factory("sqlite")
    with created.app_context():
        yield created


@pytest.fixture
def pg_app(app_factory):
    """The same on PostgreSQL only, for backend-specific code (COPY, bulk loading)."""
    created = app_factory("postgresql")
    with created.app_context():
        yield created


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_account(app):
    """Create an account through the service layer: ``make_account(role='hmis_lead')``;
    ``organizations=[org.id, ...]`` makes it staff of those organizations."""
    from hmis.access.accounts import create_account

    def factory(email: str = "staff@example.org", password: str = "correct horse battery", role: str = "hmis_lead",
                organizations=()):
        account = create_account(email, "Test Staff", password, role)
        if organizations:
            from hmis.access.memberships import set_organizations

            set_organizations(account, organizations)
        db.session.commit()
        return account

    return factory


@pytest.fixture
def signed_in(client, make_account):
    """A test client signed in as an HMIS lead."""
    make_account()
    response = client.post("/sign-in", data={"email": "staff@example.org", "password": "correct horse battery"})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    return client


@pytest.fixture
def cli_runner(tmp_path, sqlite_template, monkeypatch):
    """A click runner for ``hmis ...`` commands, on a migrated SQLite copy, with no Redis."""
    from click.testing import CliRunner

    db_path = tmp_path / "cli.sqlite3"
    shutil.copy(sqlite_template, db_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db_path}")
    monkeypatch.setenv("HMIS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("REDIS_URL", raising=False)
    return CliRunner()


@pytest.fixture(scope="session")
def redis_url():
    try:
        from redis import Redis

        Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        _service_missing("Redis", str(exc).strip())
    return REDIS_TEST_URL


@pytest.fixture(scope="session")
def hud_sample() -> Path:
    """HUD's public FY2026 sample export (read from ../shared, never copied into the repo)."""
    assert HUD_SAMPLE.exists(), f"HUD's sample export is expected at {HUD_SAMPLE}"
    return HUD_SAMPLE
