"""Fixtures for the expression language: a small table of awkward rows on each backend.

The rows are chosen to break things: nulls everywhere, zeros to divide by, negative
numbers for ``%``, birthdays on 29 February and on "today", a birth date after the
entry date, text that differs only in case or accents, quotes and percent signs.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from hmis.config import parse_database_url

#: what ``today()`` means in every test: a fixed date, so results never depend on the clock
TODAY = date(2025, 1, 15)

_NULL_ROW = dict(n=None, m=None, amount=None, name=None, code=None, dob=None, entry_date=None, exit_date=None,
                 veteran=None, created=None, project_type=None, funders=None)


def _row(**values: Any) -> dict[str, Any]:
    return {**_NULL_ROW, **values}


ROWS: list[dict[str, Any]] = [
    _row(id=1, n=5, m=2, amount=Decimal("12.50"), name="Ana", code="A1", dob=date(2000, 2, 29),
         entry_date=date(2024, 2, 28), exit_date=date(2024, 3, 1), veteran=True,
         created=datetime(2024, 1, 2, 10, 0), project_type=1, funders=[2, 21]),
    _row(id=2),  # nothing answered
    _row(id=3, n=0, m=0, amount=Decimal("0.00"), name="", code="", dob=date(1990, 1, 1), entry_date=date(1990, 1, 1),
         veteran=False, project_type=13, funders=[]),
    _row(id=4, n=-7, m=3, amount=Decimal("-5.25"), name="ZOË", code="b", dob=date(2010, 12, 31),
         entry_date=date(2025, 1, 1), exit_date=date(2024, 12, 31), project_type=3, funders=[None, 2]),
    _row(id=5, n=7, m=-2, amount=Decimal("100.00"), name="zoë", code="B", dob=date(2004, 2, 29),
         entry_date=date(2005, 2, 28), exit_date=date(2005, 3, 1), veteran=True, project_type=1, funders=[21]),
    _row(id=6, n=1, m=None, name="O'Brien", code="50%", dob=date(2020, 6, 1), entry_date=date(2020, 1, 1),
         veteran=False, created=datetime(2024, 3, 10, 23, 59, 59), project_type=2),
    _row(id=7, n=18, m=18, amount=Decimal("0.25"), name="Émile", code="é", dob=date(2007, 1, 15),
         entry_date=date(2024, 12, 31), exit_date=date(2025, 1, 15), project_type=13, funders=[1]),
    _row(id=8, n=None, m=4, amount=Decimal("7.75"), name="a", code="a_b", dob=date(2007, 1, 16),
         entry_date=date(2025, 1, 15), veteran=None, project_type=4),
    _row(id=9, n=100, m=7, amount=Decimal("1234.56"), name="B", code="%", dob=date(1944, 2, 29),
         entry_date=date(2023, 2, 28), exit_date=date(2024, 2, 29), veteran=True, project_type=None,
         created=datetime(2000, 1, 1, 0, 0, 0)),
    _row(id=10, n=-1, m=-1, amount=Decimal("-0.50"), name="  x  ", code="X", dob=date(2025, 1, 15),
         entry_date=date(2025, 1, 15), exit_date=date(2025, 1, 15), veteran=False, project_type=12, funders=[4, 4]),
]


@dataclass
class Backend:
    """One database holding :data:`ROWS`, and the expression names mapped to its columns."""

    name: str
    engine: sa.Engine
    table: sa.Table
    funders: sa.Table
    columns: dict[str, Any]

    def select(self, *elements: Any) -> sa.Select[Any]:
        return sa.select(*elements).select_from(self.table).order_by(self.table.c.id)


def _tables(suffix: str) -> tuple[sa.MetaData, sa.Table, sa.Table]:
    metadata = sa.MetaData()
    table = sa.Table(
        f"expr_rows_{suffix}", metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("n", sa.Integer), sa.Column("m", sa.Integer), sa.Column("amount", sa.Numeric(12, 2)),
        sa.Column("name", sa.String), sa.Column("code", sa.String(20)),
        sa.Column("dob", sa.Date), sa.Column("entry_date", sa.Date), sa.Column("exit_date", sa.Date),
        sa.Column("veteran", sa.Boolean), sa.Column("created", sa.DateTime), sa.Column("project_type", sa.Integer),
    )
    funders = sa.Table(
        f"expr_funders_{suffix}", metadata,
        sa.Column("row_id", sa.Integer, nullable=False), sa.Column("funder", sa.Integer),
    )
    return metadata, table, funders


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request) -> Backend:
    """:data:`ROWS` in an in-memory SQLite, and in the suite's throwaway PostgreSQL database
    (which skips, or fails under HMIS_REQUIRE_SERVICES, exactly as the shared fixture decides)."""
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_database")
        engine = sa.create_engine(parse_database_url(url))
    else:
        engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool)
    metadata, table, funders = _tables(uuid.uuid4().hex[:8])
    metadata.create_all(engine)
    with engine.begin() as connection:
        if request.param == "postgresql":
            _use_a_natural_language_collation(connection, table)
        connection.execute(table.insert(), [{k: v for k, v in row.items() if k != "funders"} for row in ROWS])
        connection.execute(funders.insert(), [
            {"row_id": row["id"], "funder": funder} for row in ROWS for funder in row["funders"] or ()
        ])
    columns: dict[str, Any] = {name: table.c[name] for name in table.c.keys() if name not in ("id", "project_type")}
    columns["project.type"] = table.c.project_type
    columns["project.funders"] = sa.select(funders.c.funder).where(funders.c.row_id == table.c.id)
    yield Backend(request.param, engine, table, funders, columns)
    metadata.drop_all(engine)
    engine.dispose()


def _use_a_natural_language_collation(connection: sa.Connection, table: sa.Table) -> None:
    """Production databases are usually created with an English locale, where 'a' < 'B';
    the test cluster may use C. Give the text columns an ICU English collation when the
    server has one, so the tests see what production sees."""
    if connection.scalar(sa.text("SELECT count(*) FROM pg_collation WHERE collname = 'en-x-icu'")):
        for column in ("name", "code"):
            connection.execute(sa.text(
                f'ALTER TABLE {table.name} ALTER COLUMN {column} TYPE varchar COLLATE "en-x-icu"'))


def python_env(row: dict[str, Any]) -> dict[str, Any]:
    """A row as :func:`evaluate` sees it: the same names as the SQL columns."""
    env = {k: v for k, v in row.items() if k not in ("id", "project_type", "funders")}
    env["project.type"] = row["project_type"]
    env["project.funders"] = row["funders"]
    return env
