"""Versioned definitions: loading, validation, publishing and diffing of the four kinds
(forms, workflows, reports, admin settings).

The store is generic; what makes a good form or report is registered by the rooms that
use them (:func:`register_schema`, :func:`register_validator`; see ``registry.py`` and
the README beside this file). Modules, one job each:

``loader``    YAML/JSON text to JSON data with line numbers; hostile input refused
``registry``  the base check, per-kind JSON Schemas and validators
``checks``    text to every problem, with no database (CLI, editor, publish)
``service``   draft, publish, retire, look-ups, validate, diff (flush; callers commit)
``sync``      the shipped folders into the database, with a dry run
``diff``      normal form, checksum, readable unified diffs
``cli``       ``hmis definitions validate | sync | diff``
"""
from __future__ import annotations

from .checks import Checked, check_source
from .diff import checksum, diff_bodies, normalized_yaml
from .expressions import expression_problems
from .loader import MAX_SOURCE_BYTES, Parsed, parse_source
from .problems import DefinitionError, DefinitionNotFound, DefinitionProblem, format_path, parse_path
from .registry import FOLDERS, KINDS, register_schema, register_validator

__all__ = [
    "FOLDERS", "KINDS", "MAX_SOURCE_BYTES", "Checked", "DefinitionError", "DefinitionNotFound",
    "DefinitionProblem", "Parsed", "check_source", "checksum", "diff_bodies", "expression_problems",
    "format_path", "normalized_yaml", "parse_path", "parse_source", "register_schema", "register_validator",
]
