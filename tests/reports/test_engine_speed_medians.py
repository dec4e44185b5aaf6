"""Medians worked out inside the cell scans (PostgreSQL) give what the one-query-per-cell way gives."""
from __future__ import annotations

from hmis.extensions import db
from hmis.reports.definition import load_definition
from hmis.reports.engine import ReportEngine
from hmis.reports.parameters import parse_parameters

from .conftest import END, START, cells, compile_body

MEDIANS = """
tables:
  - id: M
    title: Medians
    rows:
      - {label: Everyone, when: "true"}
      - {label: Leavers to a permanent place, when: "leaver and destination = 410"}
      - {label: Children, when: "is_child"}
    columns:
      - {label: Median, measure: {median: length_of_stay}}
      - {label: Median of adults, when: "is_adult", measure: {median: length_of_stay}}
"""


def _results(medians_in_batch: bool) -> dict:
    parameters = parse_parameters({"start": START, "end": END})
    engine = ReportEngine(load_definition(compile_body(MEDIANS)), parameters, db.engine.dialect.name)
    engine.medians_in_batch = medians_in_batch
    return engine.run(db.session.connection())


def test_medians_in_the_scan_match_a_query_per_cell(world):
    shelter = world.project(0)
    # stays of 10, 20, 20, 31 and 60 days; the 31- and 60-day ones end in a permanent place (410)
    for dob, exit_, destination in (("1980-01-01", "2026-01-11", 116), ("1981-01-01", "2026-01-21", 116),
                                    ("1982-01-01", "2026-01-21", 116), ("1983-01-01", "2026-02-01", 410),
                                    ("2016-01-01", "2026-03-02", 410)):
        world.enroll(world.client(dob), shelter, "2026-01-01", exit=exit_, destination=destination)
    batched = _results(medians_in_batch=db.engine.dialect.name == "postgresql")
    # odd count: the middle stay; even: the mean of the two middle ones; nobody: 0 (HUD's answer key)
    assert cells(batched, "M") == {
        "Everyone": {"Median": 20, "Median of adults": 20},
        "Leavers to a permanent place": {"Median": 45.5, "Median of adults": 31},
        "Children": {"Median": 60, "Median of adults": 0},
    }
    assert batched["tables"] == _results(medians_in_batch=False)["tables"]
