"""Database set-up: engine options per backend, SQLite pragmas, migrations."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def init_app(app: Flask) -> None:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        # Jobs run in threads in the embedded mode; SQLite must allow that.
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"check_same_thread": False, "timeout": 30}})
    else:
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    db.init_app(app)
    from . import models  # noqa: F401 - register every table on the metadata


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """Enforce foreign keys on SQLite (off by default) and let readers run beside a writer."""
    module = type(dbapi_connection).__module__
    if module.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@event.listens_for(Engine, "savepoint")
def _sqlite_begin_before_savepoint(connection, name) -> None:
    """Open the real transaction before a SAVEPOINT on SQLite.

    The sqlite3 module issues BEGIN only before its first write, so a SAVEPOINT taken
    before any write *starts* the transaction and its RELEASE commits it: a household
    intake that failed for its third member would keep the first two members' rows.
    Beginning here keeps the savepoint nested, as on PostgreSQL. (Reads before the first
    write still see the newest data, as PostgreSQL's read committed does.)
    """
    if connection.dialect.name != "sqlite":
        return
    dbapi_connection = connection.connection.dbapi_connection
    if not dbapi_connection.in_transaction:
        dbapi_connection.execute("BEGIN")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Date-prefixed file names keep a directory listing in the order they were written.
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    return config


def upgrade(revision: str = "head") -> None:
    """Bring the app's database to ``revision`` (inside an app context)."""
    config = alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def heads() -> list[str]:
    return list(ScriptDirectory.from_config(alembic_config()).get_heads())


def is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its ``%``, ``_`` and ``\\`` taken literally.

    Use it with ``escape="\\\\"``: ``column.ilike(contains_pattern(q), escape="\\\\")``.
    """
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
