"""Validation without a database: the base check, JSON Schema and validators, with lines."""
from __future__ import annotations

import pytest
from jsonschema.exceptions import SchemaError

from hmis.definitions import DefinitionProblem, check_source, register_schema, register_validator

from .conftest import doc, report


def test_base_check_needs_id_kind_and_title():
    checked = check_source("form", "title: 5\nversion: [1]\n", key="intake")
    assert [str(p) for p in checked.problems] == [
        "line 1: 'id' is missing",
        "line 1: 'kind' is missing (this is a form)",
        "line 1: title: title must be non-empty text",
        "line 2: version: version must be a number or text (it is a label; the store numbers versions itself)",
    ]


def test_id_and_kind_must_match():
    checked = check_source("form", "id: intake\nkind: report\ntitle: T\n", key="exit")
    assert [(p.path, p.line) for p in checked.problems] == [("id", 1), ("kind", 2)]
    assert "id is 'intake' but this definition is 'exit'" in checked.problems[0].message


def test_a_list_is_not_a_definition():
    (problem,) = check_source("form", "- a\n- b\n", key="x").problems
    assert "must be a mapping" in problem.message


def test_key_defaults_to_the_document_id():
    checked = check_source("workflow", "id: intake\nkind: workflow\ntitle: Intake\n")
    assert checked.ok and checked.key == "intake"


def test_schema_errors_come_back_with_paths_and_lines(report_kind):
    text = doc("""
        id: adults
        kind: report
        title: Adults
        cells:
          - id: total
            filter: age >= 18
          - id: vets
            weight: many
            colour: red
        """)
    checked = check_source("report", text)
    assert [str(p) for p in checked.problems] == [
        "line 7: cells[1]: 'filter' is a required property",
        "line 7: cells[1]: Additional properties are not allowed ('colour' was unexpected)",
        "line 8: cells[1].weight: 'many' is not of type 'integer'",
    ]


def test_validator_problems_are_located_and_listed_together_with_schema_errors(report_kind):
    text = report(filter_="agee >= 18", extra="extra: 1\n")
    register_schema("report", {"type": "object", "properties": {"extra": {"type": "string"}}})
    checked = check_source("report", text)
    messages = [str(p) for p in checked.problems]
    assert messages[0].startswith("line 6: cells[0].filter: in the rule: unknown name 'agee' at 1:1")
    assert messages[1] == "line 7: extra: 1 is not of type 'string'"


def test_a_validator_that_trips_on_a_broken_shape_is_skipped(report_kind):
    def fragile(body, key):
        return [DefinitionProblem("cells", None, f"{len(body['cells'][0]['nope'])}")]

    register_validator("report", fragile)
    checked = check_source("report", "id: adults\nkind: report\ntitle: A\n")
    assert [p.message for p in checked.problems] == ["'cells' is a required property"]
    with pytest.raises(KeyError):  # on a schema-valid body the same crash is a bug, and loud
        check_source("report", report())


def test_a_broken_schema_fails_at_registration():
    with pytest.raises(SchemaError):
        register_schema("form", {"type": "nonsense"})


def test_unknown_kind():
    with pytest.raises(ValueError, match="unknown definition kind"):
        check_source("page", "id: x\n")
