"""What each definition kind must satisfy: the base check, its JSON Schema, its validators.

The store in this package is generic; the rooms that *use* definitions know what a good
one looks like. Each registers here, at import time of its provider module (see
:data:`PROVIDERS`):

* ``register_schema(kind, schema)``: a JSON Schema (draft 2020-12) for the shape. Every
  violation is reported with its path and line, not just the first.
* ``register_validator(kind, func)``: checks a schema cannot express: expressions (via
  :func:`hmis.definitions.expressions.expression_problems`), references between items,
  code lists, HUD field mappings. ``func(body, key)`` returns a list of
  :class:`DefinitionProblem`; leave ``line`` as ``None`` and the loader fills it in
  from the path.

Validators run even when the schema found problems, so an HMIS lead sees the expression
typo in item 7 beside the missing label of item 3; a validator that trips over a shape
the schema already refused is skipped (its findings will come once the shape is fixed).
A validator that fails on a schema-valid document is a bug and raises.
"""
from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from .problems import DefinitionProblem, format_path

__all__ = [
    "FOLDERS", "KEY_PATTERN", "KINDS", "PROVIDERS", "Validator", "base_problems", "check_body",
    "kind_for_folder", "load_providers", "register_schema", "register_validator", "schema_problems",
]

KINDS = ("form", "workflow", "report", "admin")

#: The shipped folders at the repository root and the kind each holds.
FOLDERS = {"form_definitions": "form", "workflows": "workflow", "report_definitions": "report", "admin": "admin"}

#: Modules that register a kind's schema and validators when imported. Listed here rather
#: than imported by their rooms' ``__init__`` so that ``hmis definitions validate`` needs
#: no app and no database. A module that does not exist yet is skipped.
PROVIDERS = ("hmis.forms.schema", "hmis.workflows.schema", "hmis.reports.schema", "hmis.access.schema")

#: Definition keys: stable, URL- and file-name-safe ids such as ``hud-intake``.
KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.-]{0,99}\Z")

Validator = Callable[[dict[str, Any], str], list[DefinitionProblem]]

_schemas: dict[str, Draft202012Validator] = {}
_validators: dict[str, list[Validator]] = {kind: [] for kind in KINDS}
_providers_loaded = False

_MESSAGE_LIMIT = 300
_BASE_FIELDS = ("id", "kind", "title")


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown definition kind {kind!r}; expected one of {', '.join(KINDS)}")


def register_schema(kind: str, schema: Mapping[str, Any]) -> None:
    """Set ``kind``'s JSON Schema (replacing any earlier one). A broken schema raises now,
    at import, rather than when an HMIS lead first publishes."""
    _check_kind(kind)
    Draft202012Validator.check_schema(schema)
    _schemas[kind] = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def register_validator(kind: str, func: Validator) -> Validator:
    """Add a validator for ``kind``; usable as ``@register_validator`` via :func:`functools.partial`
    or called directly. Registering the same function twice has no effect (modules may be re-imported)."""
    _check_kind(kind)
    if func not in _validators[kind]:
        _validators[kind].append(func)
    return func


def unregister(kind: str, func: Validator | None = None, *, schema: bool = False) -> None:
    """Remove a validator (or the schema); for tests."""
    if func is not None and func in _validators.get(kind, []):
        _validators[kind].remove(func)
    if schema:
        _schemas.pop(kind, None)


def load_providers() -> None:
    """Import every :data:`PROVIDERS` module that exists, once."""
    global _providers_loaded
    if _providers_loaded:
        return
    for name in PROVIDERS:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as error:
            # Skip only a provider that is absent, never an import error inside one.
            if error.name is None or not (name == error.name or name.startswith(error.name + ".")):
                raise
    _providers_loaded = True


def kind_for_folder(name: str) -> str | None:
    """``form_definitions`` -> ``form``; ``None`` for any other folder name."""
    return FOLDERS.get(name)


def base_problems(kind: str, body: Any, key: str) -> list[DefinitionProblem]:
    """What every kind needs: a mapping with ``id`` (= the key), ``kind`` and ``title``."""
    if not isinstance(body, dict):
        shape = "a list" if isinstance(body, list) else "a single value"
        return [DefinitionProblem("", None, f"a definition must be a mapping of names to values, not {shape}")]
    problems: list[DefinitionProblem] = []
    if not KEY_PATTERN.match(key or ""):
        problems.append(DefinitionProblem("id", None, f"'{key}' is not a usable id: use lower-case letters, digits, "
                                                      "'-', '_' or '.', starting with a letter or digit (at most 100)"))
    found_id = body.get("id")
    if found_id is None:
        problems.append(DefinitionProblem("", None, "'id' is missing"))
    elif found_id != key:
        problems.append(DefinitionProblem("id", None, f"id is {found_id!r} but this definition is '{key}'"))
    found_kind = body.get("kind")
    if found_kind is None:
        problems.append(DefinitionProblem("", None, f"'kind' is missing (this is a {kind})"))
    elif found_kind != kind:
        problems.append(DefinitionProblem("kind", None, f"kind is {found_kind!r} but this is a {kind} definition"))
    title = body.get("title")
    if title is None:
        problems.append(DefinitionProblem("", None, "'title' is missing"))
    elif not isinstance(title, str) or not title.strip():
        problems.append(DefinitionProblem("title", None, "title must be non-empty text"))
    version = body.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, (int, str))):
        problems.append(DefinitionProblem("version", None, "version must be a number or text (it is a label; "
                                                           "the store numbers versions itself)"))
    return problems


def schema_problems(kind: str, body: Any, covered: set[str] = frozenset()) -> list[DefinitionProblem]:
    """Every JSON Schema violation, with its path; empty when ``kind`` has no schema.

    :param covered: paths the base check already reported (``title``); a kind's schema
        usually repeats the base rules, and one problem should be said once.
    """
    validator = _schemas.get(kind)
    if validator is None:
        return []
    problems = []
    for error in validator.iter_errors(body):
        path = format_path(error.absolute_path)
        if path in covered or (not path and error.validator == "required"
                               and error.message.startswith(tuple(f"'{name}' " for name in _BASE_FIELDS))):
            continue
        if error.context:  # anyOf / oneOf: the branch that came closest says the most
            error = best_match(error.context)
        problems.append(DefinitionProblem(format_path(error.absolute_path), None, _shorten(error.message)))
    return sorted(set(problems), key=lambda p: (p.path, p.message))


def check_body(kind: str, body: Any, key: str) -> list[DefinitionProblem]:
    """The base check, the schema and the validators of ``kind`` (lines not yet filled in)."""
    _check_kind(kind)
    load_providers()
    problems = base_problems(kind, body, key)
    if not isinstance(body, dict):
        return problems
    problems += schema_problems(kind, body, {problem.path for problem in problems if problem.path})
    shape_is_broken = bool(problems)
    for validator in list(_validators[kind]):
        try:
            found = validator(body, key)
        except (KeyError, TypeError, AttributeError, IndexError, ValueError):
            if shape_is_broken:
                continue
            raise
        problems += found or []
    return problems


def _shorten(message: str) -> str:
    """jsonschema quotes whole instances (``{...} is not valid``); keep messages readable."""
    message = " ".join(message.split())
    if len(message) > _MESSAGE_LIMIT:
        return message[: _MESSAGE_LIMIT - 1] + "…"
    return message
