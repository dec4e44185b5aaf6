"""Migrations give exactly the models' schema, on both backends, with one head."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from hmis.db import heads
from hmis.extensions import db


def test_one_head():
    assert len(heads()) == 1


def test_migrated_schema_matches_models(app):
    # The `app` fixture's database was built by running every migration.
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_sqlite_enforces_foreign_keys(sqlite_app):
    from sqlalchemy import text

    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
