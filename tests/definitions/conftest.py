"""Definition tests run against an empty registry plus what each test registers, so the
schemas the Forms, Workflows and Reports issues add later cannot change these results."""
from __future__ import annotations

import textwrap

import pytest

from hmis.definitions import registry
from hmis.definitions.expressions import expression_problems

REPORT_SCHEMA = {
    "type": "object",
    "required": ["id", "kind", "title", "cells"],
    "properties": {
        "cells": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "filter"],
                "properties": {"id": {"type": "string"}, "filter": {"type": "string"}, "weight": {"type": "integer"}},
                "additionalProperties": False,
            },
        },
    },
}


def report_filters(body: dict, key: str) -> list:
    """A validator in the style the Reports issue will write: every filter must check."""
    problems = []
    for index, cell in enumerate(body.get("cells", [])):
        problems += expression_problems(cell["filter"], {"age": "number", "veteran_status": "number"},
                                        f"cells[{index}].filter", expect="yes/no")
    return problems


@pytest.fixture
def real_registry():
    """Ask for this to check against the schemas and validators the rooms really register."""


@pytest.fixture(autouse=True)
def plain_registry(request, monkeypatch):
    registry.load_providers()  # so real providers cannot register later, mid-test
    if "real_registry" in request.fixturenames:
        return
    monkeypatch.setattr(registry, "_schemas", {})
    monkeypatch.setattr(registry, "_validators", {kind: [] for kind in registry.KINDS})


@pytest.fixture
def report_kind():
    """Kind ``report`` with a small schema and an expression validator."""
    registry.register_schema("report", REPORT_SCHEMA)
    registry.register_validator("report", report_filters)


def doc(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def report(key: str = "adults", title: str = "Adults served", filter_: str = "age >= 18", extra: str = "") -> str:
    return doc(f"""
        id: {key}
        kind: report
        title: {title}
        cells:
          - id: total
            filter: {filter_}
        """) + extra
