"""The provider of definition kind ``report``: its JSON Schema and its checks.

Imported by :mod:`hmis.definitions.registry` on the first validation (no app needed), so
``hmis definitions validate report_definitions/`` and publishing in the browser refuse a
report with a bad expression, an unknown attribute or a missing code list, listing every
problem at its line.
"""
from __future__ import annotations

from typing import Any

from ..definitions import register_schema, register_validator
from .definition import COUNT_UNITS, MAX_DECIMALS, PERCENT_WITHIN, VALUE_MEASURES, definition_problems
from .projects import PROJECT_FIELDS

_TEXT = {"type": "string", "minLength": 1}
_MEASURE = {
    # A count is one word; anything else is an object naming one kind (a string and an object are told
    # apart first, so a problem inside the object is reported as itself, not as "not a count").
    "if": {"type": "string"},
    "then": {"enum": list(COUNT_UNITS)},
    "else": {
        "type": "object",
        # decimals rounds a sum, average or median (Measure.rounded); on a percentage, definition.py refuses it
        "properties": {"decimals": {"type": "integer", "minimum": 0, "maximum": MAX_DECIMALS}},
        "oneOf": [
            *({"required": [kind], "additionalProperties": False, "properties": {kind: _TEXT, "decimals": True}}
              for kind in VALUE_MEASURES),
            {"required": ["percent"], "additionalProperties": False, "properties": {
                "decimals": True,
                "percent": {"type": "object", "additionalProperties": False, "properties": {
                    "of": _TEXT, "within": {"enum": list(PERCENT_WITHIN)}, "unit": {"enum": list(COUNT_UNITS)}}}}},
        ],
    },
}
_AXIS_ITEM = {
    "type": "object",
    "oneOf": [
        {"required": ["label"], "not": {"required": ["group"]}},
        {"required": ["group"], "not": {"required": ["label"]},
         "oneOf": [{"required": ["codes"]}, {"required": ["values"]}]},
    ],
    "additionalProperties": False,
    "properties": {
        "label": _TEXT, "when": _TEXT, "measure": _MEASURE, "header": {"type": "boolean"},
        "set": {"type": "object", "propertyNames": {"pattern": "^[a-z][a-z0-9_]{0,62}$"}, "additionalProperties": _TEXT},
        "blank": {"type": "array", "items": _TEXT},
        "group": _TEXT, "codes": _TEXT, "only": {"type": "array", "items": {"type": "integer"}, "minItems": 1},
        "labels": {"type": "object", "additionalProperties": _TEXT},
        "values": {"type": "object", "minProperties": 1, "additionalProperties": _TEXT},
        "field": {"enum": list(PROJECT_FIELDS)},
    },
}
_AXIS = {"type": "array", "minItems": 1, "items": _AXIS_ITEM}

REPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["id", "kind", "title", "tables"],
    "additionalProperties": False,
    "properties": {
        "id": _TEXT, "kind": {"const": "report"}, "title": _TEXT, "version": {"type": ["string", "integer"]},
        "category": _TEXT, "description": {"type": "string"},
        "parameters": {"type": "array", "uniqueItems": True,
                       "items": {"enum": ["coc", "projects", "project_types", "funders"]}},
        "universe": {"type": "object", "additionalProperties": False, "properties": {
            "latest_per_person": {"type": "boolean"}, "where": _TEXT,
            # which stay represents each person (definition.py, _person_stay_rank_problems)
            "person_stay_rank": _TEXT}},
        "attributes": {"type": "array", "items": {
            "type": "object", "required": ["name", "expression"], "additionalProperties": False,
            "properties": {"name": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"}, "expression": _TEXT,
                           "description": {"type": "string"}}}},
        "column_sets": {"type": "object", "additionalProperties": _AXIS},
        "tables": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["id", "title"], "additionalProperties": False,
            "properties": {
                "id": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$"}, "title": _TEXT,
                "description": {"type": "string"}, "where": _TEXT, "measure": _MEASURE, "rows": _AXIS,
                "columns": {"oneOf": [_TEXT, _AXIS]}, "per": {"enum": ["project"]},
                # a per: project table only: false counts every stay, not each person's latest (projects.py)
                "latest_per_person": {"type": "boolean"},
                # a per: project table only: which projects get a row (projects.py)
                "list_projects": {"enum": ["with_stays", "ce_access_points"]},
            }}},
    },
}

register_schema("report", REPORT_SCHEMA)


def check_report(body: dict[str, Any], key: str) -> list:
    return definition_problems(body)


register_validator("report", check_report)
