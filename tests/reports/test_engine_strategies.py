"""The engine's speed-ups must not change a number: batches, shared rules, layered universe.

A run writes the universe in layers of temporary tables and computes the cells of many
tables in one scan (:mod:`hmis.reports.cells`); drill-down composes the same rules over
the universe as one ``SELECT``. These tests hold the strategies against each other: a
table's cells do not depend on which tables share its scan, and every counted cell has
exactly the rows its drill-down lists. The whole APR on HUD's sample must also come out
the same on SQLite and PostgreSQL.
"""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
import yaml

from hmis.extensions import db
from hmis.reports import cells as cells_module
from hmis.reports.definition import load_definition
from hmis.reports.engine import ReportEngine, run_report
from hmis.reports.parameters import parse_parameters

from .builders import END, START
from .conftest import compile_body

# Tables that share rules (the same column set, the same row rules in two tables), mix
# measures, and read a binding and a definition attribute: each shared rule is one column
# of the batch's inner query, so a wrong column would show up as a wrong count.
SHARED = """
attributes:
  - {name: older, expression: "age >= 60"}
column_sets:
  households:
    - {label: Total}
    - {label: Alone, when: "household_size = 1"}
    - {label: Families, when: "household_size > 1"}
tables:
  - id: A
    title: People
    columns: households
    rows:
      - {label: Adults, when: "is_adult"}
      - {label: Children, when: "is_child"}
      - {label: Older, when: "older"}
      - {label: Leavers, when: "leaver"}
  - id: B
    title: Same rules, other measures
    columns: households
    rows:
      - {label: Adults, when: "is_adult", measure: households}
      - {label: Leavers, when: "leaver", measure: enrollments}
      - {label: Stay length, when: "true", measure: {average: length_of_stay}}
      - {label: Stay median, when: "true", measure: {median: length_of_stay}}
      - {label: Share of adults, when: "is_adult", measure: {percent: {of: "true", within: column}}}
  - id: C
    title: A filtered table with a bound name
    where: "stayer"
    columns:
      - {label: Adults, set: {who: "is_adult"}}
      - {label: Children, set: {who: "is_child"}}
    rows:
      - {label: Everyone, when: "who"}
      - {label: Older, when: "who and older"}
"""


@pytest.fixture
def people(world):
    shelter, housing = world.project(0), world.project(3)
    for index, born in enumerate(("1950-03-01", "1985-06-01", "1990-01-01", "2012-01-01", "1940-01-01")):
        person = world.client(born)
        if index == 1:  # a family: the adult of index 1 with a child
            child = world.client("2016-05-01")
            world.enroll(person, housing, "2025-11-01", household="F1")
            world.enroll(child, housing, "2025-11-01", household="F1", relationship=2)
        elif index % 2:
            world.enroll(person, shelter, "2025-10-15", exit="2026-01-20", destination=410)
        else:
            world.enroll(person, shelter, "2026-02-01")
    db.session.commit()


def _results(text: str) -> dict:
    body = compile_body(text)
    return run_report(load_definition(body), parse_parameters({"start": START, "end": END}), db.session.connection())


def test_a_tables_cells_do_not_depend_on_its_batch(people, monkeypatch):
    together = _results(SHARED)
    monkeypatch.setattr(cells_module, "MAX_COLUMNS", 1)  # every table in a scan of its own
    apart = _results(SHARED)
    assert together == apart
    a = {row["label"]: row["cells"] for row in together["tables"][0]["rows"]}
    assert a["Adults"] == [4, 3, 1] and a["Children"] == [2, 1, 1] and a["Older"] == [2, 2, 0]


def test_every_counted_cell_has_the_rows_its_drilldown_lists(people):
    body = compile_body(SHARED)
    definition = load_definition(body)
    params = parse_parameters({"start": START, "end": END})
    results = run_report(definition, params, db.session.connection())
    checked = 0
    for table, found in zip(definition.tables, results["tables"]):
        for r, row in enumerate(table.rows):
            for c, column in enumerate(table.columns):
                if table.measure_for(row, column).kind not in ("persons", "households", "enrollments"):
                    continue
                listed = ReportEngine(definition, params, db.engine.dialect.name).drilldown_query(table, r, c)
                total = db.session.execute(sa.select(sa.func.count()).select_from(listed.subquery())).scalar_one()
                assert total == found["rows"][r]["cells"][c], (table.id, row.label, column.label)
                checked += 1
    assert checked > 20


@pytest.mark.slow
def test_the_whole_apr_on_hud_sample_is_the_same_on_sqlite_and_postgresql(app_factory, hud_sample):
    from pathlib import Path

    from hmis.interchange.importer import import_export

    root = Path(__file__).resolve().parents[2]
    definition = load_definition(yaml.safe_load((root / "report_definitions" / "apr.yaml").read_text()))
    params = parse_parameters({"start": date(2024, 10, 1), "end": date(2025, 9, 30)})
    results = {}
    for backend in ("sqlite", "postgresql"):
        with app_factory(backend).app_context():
            assert import_export(hud_sample).status == "imported"
            db.session.commit()
            results[backend] = run_report(definition, params, db.session.connection())
            db.session.rollback()
    assert results["sqlite"]["universe_rows"] > 4000
    for on_sqlite, on_postgresql in zip(results["sqlite"]["tables"], results["postgresql"]["tables"]):
        assert on_sqlite == on_postgresql, on_sqlite["id"]
