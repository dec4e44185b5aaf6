"""A code list's rows counted by GROUPING SETS (PostgreSQL) give what one aggregate per cell gives.

With one row per person, the cells of a table's ``group:`` rows are sums of the counts of the
groups by the code (and the rules of the cell's table, column, unit and percentage): see
:mod:`hmis.reports.cells`. These tests run the same definition both ways on the same data.
"""
from __future__ import annotations

import sqlalchemy as sa

from hmis.extensions import db
from hmis.reports import cells as cells_module
from hmis.reports.definition import load_definition
from hmis.reports.engine import REPORT_WORK_MEM, ReportEngine, _value_test
from hmis.reports.parameters import parse_parameters

from .conftest import END, START, cells, compile_body

# Destinations (3.12: 30-odd codes, so well over MIN_GROUPED_CELLS cells) by a Total column,
# code-list columns, a yes/no column and percentages within the row, the column and the table;
# the same rows counted as households under a table filter; a row that is itself a value test
# of an expression (missing destinations as 99).
DESTINATIONS = """
column_sets:
  households:
    - {label: Total}
    - {label: Alone, when: "household_type = 'without_children'"}
    - {label: Families, when: "household_type = 'with_children_and_adults'"}
    - {label: Adults, when: "is_adult"}
    - {label: Share of row, when: "is_adult", measure: {percent: {of: "true", within: row}}}
    - {label: Share of families, when: "household_type = 'with_children_and_adults'",
       measure: {percent: {of: "true", within: column}}}
    - {label: Share of all, measure: {percent: {of: "leaver"}}}
tables:
  - id: D
    title: Destinations
    columns: households
    rows:
      - {group: destination, codes: "3.12"}
      - {label: Missing, when: "coalesce(destination, 99) = 99"}
      - {label: Everyone, when: "true"}
  - id: H
    title: Households of leavers by destination
    where: leaver
    measure: households
    columns: households
    rows:
      - {group: destination, codes: "3.12"}
"""


def _results(grouped: bool) -> dict:
    parameters = parse_parameters({"start": START, "end": END})
    engine = ReportEngine(load_definition(compile_body(DESTINATIONS)), parameters, db.engine.dialect.name)
    engine.grouped_cells = grouped
    return engine.run(db.session.connection())


def _stays(world) -> None:
    shelter = world.project(0)
    # three adults alone (two to 410, one with no destination), a family of an adult and a child
    # to 116, an adult still staying, and a child alone to 410
    for destination in (410, 410, None):
        world.enroll(world.client("1980-01-01"), shelter, "2026-01-01", exit="2026-02-01", destination=destination)
    parent, child = world.client("1985-01-01"), world.client("2015-01-01")
    world.enroll(parent, shelter, "2026-01-01", household="F", exit="2026-02-01", destination=116)
    world.enroll(child, shelter, "2026-01-01", household="F", relationship=2, exit="2026-02-01", destination=116)
    world.enroll(world.client("1970-01-01"), shelter, "2026-01-01")
    world.enroll(world.client("2012-01-01"), shelter, "2026-01-01", exit="2026-02-01", destination=410)
    db.session.commit()


def test_grouped_code_lists_match_an_aggregate_per_cell(world, monkeypatch):
    _stays(world)
    used = []
    run_grouped = cells_module._run_grouped
    monkeypatch.setattr(cells_module, "_run_grouped", lambda *args: used.append(run_grouped(*args)) or used[-1])
    postgresql = db.engine.dialect.name == "postgresql"
    grouped = _results(grouped=postgresql)
    assert bool(used[0]) is postgresql  # the grouping sets ran (PostgreSQL only: SQLite has none)
    assert grouped["tables"] == _results(grouped=False)["tables"]
    found = cells(grouped, "D")
    assert found["Rental by client, no ongoing subsidy"] == {
        "Total": 3, "Alone": 2, "Families": 0, "Adults": 2, "Share of row": 0.6667, "Share of families": 0.0,
        "Share of all": 0.5}
    assert found["Place not meant for habitation"]["Families"] == 2
    assert found["Missing"]["Total"] == 2  # the stayer and the leaver without a destination
    households = cells(grouped, "H")
    assert households["Rental by client, no ongoing subsidy"]["Total"] == 3
    assert households["Place not meant for habitation"]["Total"] == 1  # the family: its head only


def test_the_grouping_sets_give_back_the_reports_work_mem(world):
    _stays(world)
    if db.engine.dialect.name != "postgresql":
        return
    _results(grouped=True)
    assert db.session.execute(sa.text("SHOW work_mem")).scalar_one() == REPORT_WORK_MEM != cells_module.GROUPING_WORK_MEM


def test_only_an_expression_equal_to_a_number_or_text_is_a_code_list_row():
    assert _value_test("(destination) = 101") == ("destination", 101)
    assert _value_test("(household_type) = 'unknown'") == ("household_type", "unknown")
    assert _value_test("coalesce(destination, 99) = 99") == ("coalesce(destination, 99)", 99)
    for text in (None, "leaver", "destination in [101, 116]", "destination = exit_destination",
                 "is_adult = true", "destination = 101 and leaver", "destination != 101"):
        assert _value_test(text) is None, text
    assert _value_test("(destination = ") is None  # compiling the row reports it, where it is
