"""The form definition format: its JSON Schema and the engine's own checks, registered
with the definitions store as the provider of kind ``form``.

The schema fixes shapes (what keys an item may have, which types exist); everything a
schema cannot say (rules, references, code lists, HUD mappings, fragments) is checked by
:func:`hmis.forms.compile.problems_of`, the same code that compiles a form to run it.
The format is documented, with examples, in this package's README.
"""
from __future__ import annotations

from typing import Any

from ..definitions import DefinitionProblem, register_schema, register_validator
from .items import ABOUT, STAGES

_TEXT = {"oneOf": [
    {"type": "string", "minLength": 1, "maxLength": 2000},
    {"type": "object", "properties": {"en": {"type": "string", "minLength": 1}},
     "additionalProperties": {"type": "string", "maxLength": 2000}, "required": ["en"]},
]}
_RULE = {"type": "string", "minLength": 1, "maxLength": 2000}
_VALUE = {"type": ["string", "integer", "number", "boolean", "null"]}
_CHOICE = {"type": "object", "required": ["value", "label"], "additionalProperties": False,
           "properties": {"value": {"type": ["integer", "string"]}, "label": _TEXT}}

ITEM = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,59}$"},
        "type": {"type": "string"},  # which types exist is said by compile.py, naming them
        "include": {"type": "string"},
        "label": _TEXT,
        "help": _TEXT,
        "required": {"oneOf": [{"type": "boolean"}, _RULE]},
        "warn_if_empty": {"type": "boolean"},
        "relevant": _RULE,
        "constraint": _RULE,
        "constraint_message": _TEXT,
        "calculate": _RULE,
        "default": _VALUE,
        "prefill": {"type": "boolean"},
        "choices": {"oneOf": [{"type": "string", "pattern": "^(hud|local):.+$"},
                              {"type": "array", "items": _CHOICE, "minItems": 1}]},
        "hud": {"type": "string", "pattern": r"^[A-Za-z]+\.[A-Za-z0-9]+$"},
        "hud_key": {"type": "object", "additionalProperties": {"type": ["integer", "string"]}},
        "hud_columns": {"type": "object", "additionalProperties": {"type": "string"}},
        "hud_columns_by": {"type": "string"},
        "custom": {"type": "string", "pattern": "^[a-z][a-z0-9_.-]{0,99}$"},
        "custom_owner": {"enum": ["client", "enrollment"]},
        "about": {"enum": list(ABOUT)},
        "stages": {"type": "array", "items": {"enum": list(STAGES)}, "uniqueItems": True},
        "funders": {"type": "array", "items": {"type": "integer"}},
        "project_types": {"type": "array", "items": {"type": "integer"}},
        "max_length": {"type": "integer", "minimum": 1, "maximum": 100000},
        "min": {"type": "number"},
        "max": {"type": "number"},
        "repeat": {"type": "object", "additionalProperties": False,
                   "properties": {"min": {"type": "integer", "minimum": 0}, "max": {"type": "integer", "minimum": 1},
                                  "key": {"type": "string"}}},
        "items": {"type": "array", "items": {"$ref": "#/$defs/item"}},
    },
    "additionalProperties": False,
    "oneOf": [
        {"required": ["include"], "not": {"required": ["type"]}},
        {"required": ["id", "type"], "not": {"required": ["include"]}},
    ],
}

FORM_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "HMIS form definition",
    "type": "object",
    "required": ["id", "kind", "title", "items"],
    "properties": {
        "id": {"type": "string"},
        "kind": {"const": "form"},
        "title": {"type": "string", "minLength": 1},
        "title_i18n": {"type": "object", "additionalProperties": {"type": "string"}},
        "description": {"type": "string"},
        "version": {"type": ["string", "integer"]},
        "fragment": {"type": "boolean"},
        "stage": {"enum": list(STAGES)},
        "languages": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]{2}$"}},
        "code_lists": {"type": "object", "additionalProperties": {"type": "array", "items": _CHOICE, "minItems": 1}},
        "items": {"type": "array", "items": {"$ref": "#/$defs/item"}},
    },
    "additionalProperties": False,
    "$defs": {"item": ITEM},
}


def check_form(body: dict[str, Any], key: str) -> list[DefinitionProblem]:
    """The engine's checks (rules, references, code lists, HUD mappings, fragments)."""
    from .compile import problems_of
    from .fragments import for_validation

    return problems_of(body, key, for_validation())


register_schema("form", FORM_SCHEMA)
register_validator("form", check_form)


def check_form_rules(body: dict[str, Any], key: str) -> list[DefinitionProblem]:
    """``admin/form_rules.yaml`` (the admin definition ``form-rules``): its shape, and
    that every form it names exists (saved in the database, or shipped)."""
    from .rules import RULES_KEY, rule_problems

    if key != RULES_KEY:
        return []
    problems = [DefinitionProblem(message.split(":", 1)[0] if message.startswith("rules[") else "rules", None,
                                  message) for message in rule_problems(body)]
    if problems:
        return problems
    from .fragments import for_validation

    resolve = for_validation()
    for index, rule in enumerate(body["rules"]):
        form = rule.get("form")
        if isinstance(form, str) and form != "none" and resolve(form) is None:
            problems.append(DefinitionProblem(f"rules[{index}].form", None, f"there is no form '{form}'"))
    return problems


register_validator("admin", check_form_rules)
