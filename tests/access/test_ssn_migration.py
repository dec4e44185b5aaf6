"""Migration 0011 on a database that holds plain SSNs (both backends): they end up
encrypted in client_ssn, client.ssn masked, and a merge's undo data masked too; the
downgrade gives the numbers back."""
from __future__ import annotations

import json

import pytest
from alembic import command
from sqlalchemy import text

from hmis import create_app
from hmis.access import crypto
from hmis.db import alembic_config, upgrade
from hmis.extensions import db

from ..conftest import scratch_pg_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    """The URL of a database nobody has migrated yet (a scratch PostgreSQL one is dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'plain.sqlite3'}"
        return
    with scratch_pg_database("hmis_ssn_migration") as url:
        yield url


def _downgrade(revision: str) -> None:
    config = alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_plain_ssns_are_encrypted_by_the_migration_and_back_by_its_downgrade(empty_database, tmp_path):
    app = create_app({"DATABASE_URL": empty_database, "INSTANCE_PATH": str(tmp_path), "TESTING": True,
                      "SECRET_KEY": "test-secret", "REDIS_URL": ""})
    with app.app_context():
        upgrade("0010")
        statements = [
            "INSERT INTO data_source (id, key, name, created_dt) VALUES (1, 'local', 'Local', CURRENT_TIMESTAMP)",
            "INSERT INTO client (id, data_source_id, personal_id, ssn, ssn_data_quality) VALUES "
            "(1, 1, 'A', '219099990', 1), (2, 1, 'B', 'xxxxx1234', 2), (3, 1, 'C', NULL, 99), "
            "(4, 1, 'D', '123456789', 1)",
        ]
        for statement in statements:
            db.session.execute(text(statement))
        state = {"merged_client": {"id": 4, "ssn": "123456789"},
                 "survivor_fields": {"ssn": {"old": "219099990", "new": "123456789"}}, "moved": []}
        db.session.execute(text("INSERT INTO client_merge (id, survivor_id, merged_id, status, before_state, created_dt)"
                                " VALUES (1, 1, 4, 'active', :state, CURRENT_TIMESTAMP)"), {"state": json.dumps(state)})
        db.session.commit()
        db.session.remove()

        upgrade()
        clients = dict(db.session.execute(text("SELECT id, ssn FROM client")).all())
        assert clients == {1: "xxxxx9990", 2: "xxxxx1234", 3: None, 4: "xxxxx6789"}
        sealed = {i: (crypto.decrypt(token), valid) for i, token, valid in db.session.execute(
            text("SELECT client_id, ssn_encrypted, ssn_valid FROM client_ssn")).all()}
        assert sealed == {1: ("219099990", True), 2: ("xxxxx1234", False), 4: ("123456789", False)}
        raw = db.session.execute(text("SELECT before_state FROM client_merge")).scalar_one()
        saved = raw if isinstance(raw, dict) else json.loads(raw)
        assert saved["merged_client"]["ssn"] == "xxxxx6789"
        assert saved["survivor_fields"]["ssn"]["old"] == "xxxxx9990"
        assert crypto.decrypt(saved["survivor_fields"]["ssn"]["old_encrypted"]) == "219099990"
        assert "219099990" not in json.dumps(saved) and "123456789" not in json.dumps(saved)
        db.session.remove()

        _downgrade("0010")
        clients = dict(db.session.execute(text("SELECT id, ssn FROM client")).all())
        assert clients == {1: "219099990", 2: "xxxxx1234", 3: None, 4: "123456789"}
        db.session.remove()
        db.engine.dispose()
