"""HUD's FY2026 code lists: which integer codes a column may hold, and their labels.

The data lives in ``data/codelists.yaml``; ``columns_fy2026.csv`` names each
column's list in its ``CodeList`` column. This module loads the YAML once at
import into immutable objects.

A few columns take their list from another column of the same row (Services
``TypeProvided``/``SubTypeProvided``, Disabilities ``DisabilityResponse``), so
always ask :func:`list_for` with the row rather than reading ``column.code_list``.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any

import yaml

from .spec import SPEC, HudColumn

__all__ = [
    "CODE_LISTS",
    "ROW_DEPENDENT_COLUMNS",
    "depends_on",
    "CodeList",
    "get",
    "is_valid",
    "label",
    "list_for",
]


@dataclass(frozen=True)
class CodeList:
    """One HUD list: its codes with labels, and which of them FY2026 retired."""

    id: str
    name: str
    codes: Mapping[int, str] = field(hash=False)  #: every code, retired ones included
    retired: frozenset[int] = frozenset()  #: valid in FY2024, not in FY2026
    note: str | None = field(default=None, compare=False)

    @property
    def current(self) -> frozenset[int]:
        """The codes valid in FY2026."""
        return frozenset(self.codes) - self.retired

    def __contains__(self, code: object) -> bool:
        return code in self.codes


@dataclass(frozen=True)
class _Dependency:
    """How a column picks its list from another column of the same row."""

    key: str  #: the column whose value picks the list
    lists: Mapping[int, str]
    when: tuple[str, int] | None = None  #: only applies if this column holds this value
    fallback: bool = False  #: use the column's own CodeList when no entry matches


# Top-level YAML keys that map a row value to a list id, not lists themselves.
_SERVICES_TYPE = "services_type_provided_by_record_type"
_SERVICES_SUBTYPE = "services_sub_type_provided_by_type_provided"
_DISABILITY_RESPONSE = "disability_response_by_disability_type"
_RULE_KEYS = (_SERVICES_TYPE, _SERVICES_SUBTYPE, _DISABILITY_RESPONSE)


def _as_code(value: object) -> int | None:
    """Read a code as HUD files and forms carry it: an int or a string of digits."""
    if isinstance(value, bool):  # bool is an int subclass; True is not code 1
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
    return None


def _load(resource: str = "codelists.yaml") -> tuple[dict[str, CodeList], dict[str, _Dependency]]:
    text = resources.files("hmis.hud").joinpath("data", resource).read_text("utf-8")
    raw: dict[Any, Any] = yaml.safe_load(text)
    lists: dict[str, CodeList] = {}
    for list_id, entry in raw.items():
        if list_id in _RULE_KEYS:
            continue
        # An unquoted id such as 1.10 would arrive as the float 1.1: refuse it.
        if not isinstance(list_id, str) or not isinstance(entry, dict) or "codes" not in entry:
            raise ValueError(f"{resource}: {list_id!r} is not a quoted list id with codes")
        codes = entry["codes"] or {}
        if not codes or not all(
            type(k) is int and isinstance(v, str) and v for k, v in codes.items()
        ):
            raise ValueError(f"{resource}: list {list_id} needs integer codes with text labels")
        retired = frozenset(entry.get("retired") or ())
        if not retired <= codes.keys():
            raise ValueError(f"{resource}: list {list_id} retires codes it does not define")
        lists[list_id] = CodeList(
            id=list_id,
            name=str(entry["name"]),
            codes=MappingProxyType(dict(codes)),
            retired=retired,
            note=entry.get("note"),
        )

    def rule(key: str) -> Mapping[int, str]:
        mapping = {int(k): str(v) for k, v in (raw.get(key) or {}).items()}
        unknown = sorted(set(mapping.values()) - lists.keys())
        if not mapping or unknown:
            raise ValueError(f"{resource}: {key} is missing or names unknown lists {unknown}")
        return MappingProxyType(mapping)

    dependencies = {
        "Services.TypeProvided": _Dependency("RecordType", rule(_SERVICES_TYPE)),
        # HUD defines sub-types only for SSVF services (RecordType 144).
        "Services.SubTypeProvided": _Dependency(
            "TypeProvided", rule(_SERVICES_SUBTYPE), when=("RecordType", 144)
        ),
        "Disabilities.DisabilityResponse": _Dependency(
            "DisabilityType", rule(_DISABILITY_RESPONSE), fallback=True
        ),
    }
    # Fail at import, not in some report later, if the column spec and the lists drift.
    for hud_file in SPEC:
        for column in hud_file.columns:
            if column.code_list and column.code_list not in lists:
                raise ValueError(f"{column.element} names unknown code list {column.code_list}")
    return lists, dependencies


_LISTS, _DEPENDENCIES = _load()

#: Every code list by id, e.g. ``CODE_LISTS["3.12"]``.
CODE_LISTS: Mapping[str, CodeList] = MappingProxyType(_LISTS)

#: Columns whose list depends on other values in the row ("File.Column").
ROW_DEPENDENT_COLUMNS: frozenset[str] = frozenset(_DEPENDENCIES)


def get(list_id: str) -> CodeList:
    """The list with this id; KeyError if HUD has no such list here."""
    try:
        return _LISTS[list_id]
    except KeyError:
        raise KeyError(f"unknown HUD code list {list_id!r}") from None


def label(list_id: str, code: object) -> str | None:
    """The label of ``code`` in a list (retired codes too), or None if it is not in it."""
    value = _as_code(code)
    return None if value is None else get(list_id).codes.get(value)


def is_valid(list_id: str, code: object, *, allow_retired: bool = False) -> bool:
    """Whether ``code`` is a FY2026 code of the list (or a retired FY2024 one, if allowed)."""
    value = _as_code(code)
    if value is None:
        return False
    code_list = get(list_id)
    if value not in code_list.codes:
        return False
    return allow_retired or value not in code_list.retired


def _row_value(row: Mapping[str, object], column: HudColumn, name: str) -> int | None:
    # Rows come from CSV files (HUD names, case varies) or from our tables (snake_case).
    hud_file = SPEC[column.file]
    target = hud_file.column(name)
    keys = (name, target.attr) if target else (name,)
    for key in keys:
        if key in row:
            return _as_code(row[key])
    lowered = name.lower()
    for key, value in row.items():
        if key.lower() == lowered:
            return _as_code(value)
    return None


def list_for(column: HudColumn, row: Mapping[str, object] | None = None) -> str | None:
    """The id of the list ``column`` must take its value from, or None for free values.

    For row-dependent columns pass the row: without it, Services TypeProvided and
    SubTypeProvided have no list, and DisabilityResponse gets its default (1.8).
    """
    dependency = _DEPENDENCIES.get(column.element)
    if dependency is None:
        return column.code_list
    default = column.code_list if dependency.fallback else None
    if row is None:
        return default
    if dependency.when is not None:
        other, wanted = dependency.when
        if _row_value(row, column, other) != wanted:
            return None
    key = _row_value(row, column, dependency.key)
    if key is None:
        return default
    return dependency.lists.get(key, default)


def depends_on(column: HudColumn) -> tuple[str, ...]:
    """The other columns of the row that choose ``column``'s list (HUD names), if any."""
    dependency = _DEPENDENCIES.get(column.element)
    if dependency is None:
        return ()
    names = [dependency.key]
    if dependency.when is not None:
        names.append(dependency.when[0])
    return tuple(names)
