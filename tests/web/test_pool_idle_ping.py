"""PostgreSQL connections are pinged at checkout only after sitting idle (no ping per
request); a connection that died while idle is replaced before a request uses it."""
from __future__ import annotations

from sqlalchemy import text

from hmis import db as hmis_db
from hmis.extensions import db


def _pings(monkeypatch) -> list:
    pings = []
    real = db.engine.dialect.do_ping
    monkeypatch.setattr(db.engine.dialect, "do_ping", lambda connection: pings.append(connection) or real(connection))
    return pings


def test_a_busy_connection_is_not_pinged_an_idle_one_is(app_factory, monkeypatch):
    app = app_factory("postgresql")
    with app.app_context():
        assert not db.engine.pool._pre_ping
        pings = _pings(monkeypatch)
        for _ in range(3):
            with db.engine.connect() as connection:
                assert connection.scalar(text("SELECT 1")) == 1
        assert pings == []
        clock = [1000.0]
        monkeypatch.setattr(hmis_db, "_clock", lambda: clock[0])
        with db.engine.connect() as connection:
            connection.scalar(text("SELECT 1"))
        clock[0] += hmis_db.IDLE_PING_SECONDS + 1
        with db.engine.connect() as connection:
            assert connection.scalar(text("SELECT 1")) == 1
        assert len(pings) == 1


def test_a_connection_cut_while_idle_is_replaced_before_use(app_factory, monkeypatch):
    app = app_factory("postgresql")
    with app.app_context():
        clock = [1000.0]
        monkeypatch.setattr(hmis_db, "_clock", lambda: clock[0])
        first, second = db.engine.connect(), db.engine.connect()  # two pooled connections
        victim = first.scalar(text("SELECT pg_backend_pid()"))
        first.close()  # back in the pool, idle
        second.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": victim})
        second.close()
        clock[0] += hmis_db.IDLE_PING_SECONDS + 1
        for _ in range(2):  # both pooled connections: the cut one replaced, the live one kept
            with db.engine.connect() as connection:
                assert connection.scalar(text("SELECT 1")) == 1
                assert connection.scalar(text("SELECT pg_backend_pid()")) != victim
