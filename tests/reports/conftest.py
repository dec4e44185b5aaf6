"""Helpers: run a report written inline as YAML over a hand-built world, read one cell."""
from __future__ import annotations

import textwrap

import pytest
import yaml

from hmis.extensions import db
from hmis.reports.definition import definition_problems, load_definition
from hmis.reports.engine import run_report
from hmis.reports.parameters import parse_parameters

from .builders import END, START, World


@pytest.fixture
def world(app):
    return World()


def compile_body(text: str) -> dict:
    body = yaml.safe_load(textwrap.dedent(text))
    body.setdefault("id", "t")
    body.setdefault("kind", "report")
    body.setdefault("title", "Test")
    problems = definition_problems(body)
    assert problems == [], problems
    return body


def run(text: str, start=START, end=END, **params):
    body = compile_body(text)
    parameters = parse_parameters({"start": start, "end": end, **params})
    return run_report(load_definition(body), parameters, db.session.connection())


def cells(results: dict, table_id: str) -> dict[str, dict[str, object]]:
    """{row label: {column label: value}} for one table."""
    table = next(t for t in results["tables"] if t["id"] == table_id)
    return {row["label"]: dict(zip(table["columns"], row["cells"])) for row in table["rows"]}


def counts(results: dict, table_id: str, column: str = "Count") -> dict[str, object]:
    return {label: row[column] for label, row in cells(results, table_id).items()}
