"""Run some tables of a shipped report (report_definitions/<id>.yaml) over a hand-built world.

Running only the tables a test reads keeps each run small: the universe computes only the
library attributes those tables use.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hmis.extensions import db
from hmis.reports.definition import definition_problems, load_definition
from hmis.reports.engine import run_report
from hmis.reports.parameters import ReportParameters

from .builders import END, START

DEFINITIONS = Path(__file__).resolve().parents[2] / "report_definitions"


def report_tables(report: str, *table_ids: str, start=START, end=END) -> dict[str, list[tuple[str, list[Any]]]]:
    """{table id: [(row label, cells), ...]} for the named tables of a shipped report, in HUD's row order."""
    body = yaml.safe_load((DEFINITIONS / f"{report}.yaml").read_text())
    assert definition_problems(body) == []
    body["tables"] = [table for table in body["tables"] if table["id"] in table_ids]
    assert sorted(table["id"] for table in body["tables"]) == sorted(table_ids)
    results = run_report(load_definition(body), ReportParameters(start, end), db.session.connection())
    return {table["id"]: [(row["label"], row["cells"]) for row in table["rows"]] for table in results["tables"]}


def shipped_results(report: str, *table_ids: str, coc: tuple[str, ...] = ()) -> dict[str, dict[str, Any]]:
    """{table id: the engine's whole result for it} (per-project tables too) of a shipped report, run
    with ``coc`` as its CoC filter."""
    body = yaml.safe_load((DEFINITIONS / f"{report}.yaml").read_text())
    body["tables"] = [table for table in body["tables"] if table["id"] in table_ids]
    results = run_report(load_definition(body), ReportParameters(START, END, coc_codes=coc), db.session.connection())
    return {table["id"]: table for table in results["tables"]}


def rows_by_label(table: dict[str, Any]) -> dict[str, list[Any]]:
    """A result table's cells by row label (labels unique)."""
    return by_label([(row["label"], row["cells"]) for row in table["rows"]])


def apr_tables(*table_ids: str, start=START, end=END) -> dict[str, list[tuple[str, list[Any]]]]:
    """:func:`report_tables` of the APR."""
    return report_tables("apr", *table_ids, start=start, end=end)


def shipped_tables(report: str, *table_ids: str) -> dict[str, dict[str, list[Any]]]:
    """{table id: {row label: cells}} for tables whose row labels are unique."""
    return {key: by_label(rows) for key, rows in report_tables(report, *table_ids).items()}


def by_label(rows: list[tuple[str, list[Any]]]) -> dict[str, list[Any]]:
    """Rows by label (for tables whose labels are unique)."""
    found = dict(rows)
    assert len(found) == len(rows), "duplicate row labels: read this table by position"
    return found
