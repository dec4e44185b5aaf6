"""Database set-up: engine options per backend, SQLite pragmas, migrations."""
from __future__ import annotations

import functools
import threading
import time
from pathlib import Path
from typing import Any, Callable, TypeVar

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

from .extensions import db

_Built = TypeVar("_Built")

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def init_app(app: Flask) -> None:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        # Jobs run in threads in the embedded mode; SQLite must allow that.
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"check_same_thread": False, "timeout": 30}})
    else:
        # No pool_pre_ping (a round trip on every checkout, so on every request): a connection
        # idle for a while is pinged at checkout instead (a busy one was just used), and none
        # is kept past an hour (server or firewall idle limits). A server restart under load
        # fails the statements in flight; SQLAlchemy then replaces the whole pool.
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_recycle": 3600})
    db.init_app(app)
    from . import models  # noqa: F401 - register every table on the metadata
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    if not url.startswith("sqlite") and not options.get("pool_pre_ping"):
        with app.app_context():
            ping_when_idle(db.engine)


def transaction_memo(key: str) -> set:
    """A set kept in the session for the current transaction only: what a request already
    checked or created (a household's page asks the same question for each member), forgotten
    when the transaction ends so nothing carries over into the next one."""
    session = db.session()
    transaction = session.get_transaction()
    kept = session.info.get(key)
    if kept is None or kept[0] is not transaction:
        kept = session.info[key] = (transaction, set())
    return kept[1]


def built_once(build: Callable[..., _Built]) -> Callable[..., _Built]:
    """``functools.cache`` for a statement a hot path builds once per process, built under a
    lock. A threaded worker serves its first requests at the same time, and two threads
    building statements from the same alias at once could leave SQLAlchemy's lazily kept
    parts of it half made: the statement built in that race was broken ("Can't determine
    which FROM clause to join from") and, cached, failed every request of that worker."""
    lock = threading.Lock()
    cached = functools.cache(build)

    @functools.wraps(build)
    def once(*args: Any) -> _Built:
        with lock:
            return cached(*args)

    once.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
    return once


#: Seconds a pooled connection may sit unused before its next checkout pings it first.
IDLE_PING_SECONDS = 10.0

_clock = time.monotonic  # the tests move it forward


def ping_when_idle(engine: Engine, idle_seconds: float = IDLE_PING_SECONDS) -> None:
    """Ping a pooled connection at checkout when it went unused for ``idle_seconds``: a
    dead one (server restarted, connection cut while idle) is then replaced by a new one
    before the request uses it, as ``pool_pre_ping`` does, without a ping per request."""

    @event.listens_for(engine, "checkin")
    def _returned(dbapi_connection, connection_record) -> None:
        connection_record.info["hmis_idle_since"] = _clock()

    @event.listens_for(engine, "checkout")
    def _taken(dbapi_connection, connection_record, connection_proxy) -> None:
        since = connection_record.info.get("hmis_idle_since")
        if since is None or _clock() - since < idle_seconds:
            return  # just opened, or just used
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # any driver error: the pool discards it and connects again
            raise DisconnectionError(f"a pooled connection idle for {_clock() - since:.0f} s "
                                     f"did not answer: {exc}") from exc


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
