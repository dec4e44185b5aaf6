"""Which HUD data element each HMIS CSV column records: "3.03 Date of Birth", not "Client.DOB".

The data lives in ``data/elements.yaml`` (its header explains the ids, the
pseudo-elements and every judgement call); this module loads it once at import
and checks it against the column spec, so a column can never go unmapped.

Two files record several elements in one column, picked by another column of
the row: Disabilities.csv (``DisabilityType`` picks one of 4.05-4.10) and
Services.csv (``RecordType`` picks 4.14, P1, V2 ...). Pass the row to
:func:`element_of` / :func:`describe` to get the single element; without it
they give the group ("4.05-4.10", "Services").
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType
from typing import Any

import yaml

from .spec import SPEC, HudColumn

__all__ = [
    "COLUMN_ELEMENTS",
    "DISABILITIES_GROUP",
    "ELEMENTS",
    "ELEMENTS_BY_DISABILITY_TYPE",
    "ELEMENTS_BY_RECORD_TYPE",
    "PSEUDO_ELEMENTS",
    "SERVICES_GROUP",
    "base_element",
    "columns_for",
    "describe",
    "element_name",
    "element_of",
    "is_pseudo",
]

#: Disabilities.csv columns whose element DisabilityType picks.
DISABILITIES_GROUP = "4.05-4.10"
#: Services.csv columns whose element RecordType picks.
SERVICES_GROUP = "Services"
#: Ids for columns no Data Dictionary element defines (see the YAML header).
PSEUDO_ELEMENTS: frozenset[str] = frozenset({"Export", "CSV.ID", "CSV.DateDeleted", SERVICES_GROUP})

# "3.917", "3.917.2C", "2.02.A", "V1", "V1.11": an element, optionally one of its fields.
_HUD_ID = re.compile(r"^(?P<element>\d\.\d{2,3}|[CPRVW]\d{1,2})(?:\.[0-9A-Z]+)?$")


def _load(resource: str = "elements.yaml") -> tuple[
    dict[str, str], dict[str, str], dict[int, str], dict[int, str]
]:
    text = resources.files("hmis.hud").joinpath("data", resource).read_text("utf-8")
    raw: dict[str, Any] = yaml.safe_load(text)

    elements = raw.get("elements") or {}
    # An unquoted id such as 3.10 would arrive as the float 3.1: refuse it.
    bad = [k for k, v in elements.items() if not isinstance(k, str) or not isinstance(v, str) or not v]
    if bad:
        raise ValueError(f"{resource}: element ids must be quoted strings with a name: {bad}")
    for element_id in elements:
        if element_id in PSEUDO_ELEMENTS or element_id == DISABILITIES_GROUP:
            continue
        match = _HUD_ID.match(element_id)
        if not match:
            raise ValueError(f"{resource}: {element_id!r} is not a HUD element id")
        if match["element"] not in elements:
            raise ValueError(f"{resource}: field {element_id} is listed without its element {match['element']}")

    columns = raw.get("columns") or {}
    bad = {k: v for k, v in columns.items() if not isinstance(v, str) or v not in elements}
    if bad:
        raise ValueError(f"{resource}: columns map to unknown element ids: {bad}")
    # Fail at import, not in an importer message later, if the spec and the map drift.
    expected = {column.element for hud_file in SPEC for column in hud_file.columns}
    missing, extra = sorted(expected - columns.keys()), sorted(columns.keys() - expected)
    if missing or extra:
        raise ValueError(f"{resource}: columns missing {missing}, not in the spec {extra}")

    def rule(key: str) -> dict[int, str]:
        mapping = raw.get(key) or {}
        if not mapping or not all(type(k) is int and v in elements for k, v in mapping.items()):
            raise ValueError(f"{resource}: {key} needs integer codes mapped to known element ids")
        return dict(mapping)

    return (
        elements,
        columns,
        rule("disability_elements_by_disability_type"),
        rule("service_elements_by_record_type"),
    )


_ELEMENTS, _COLUMNS, _BY_DISABILITY, _BY_RECORD = _load()

#: Every element id with HUD's name, e.g. ``ELEMENTS["3.917"] == "Prior Living Situation"``.
ELEMENTS: Mapping[str, str] = MappingProxyType(_ELEMENTS)
#: ``"File.Column"`` -> element id, for all 519 FY2026 columns (row-dependent ones give the group).
COLUMN_ELEMENTS: Mapping[str, str] = MappingProxyType(_COLUMNS)
#: Disabilities.DisabilityType code -> element ("4.05" ... "4.10").
ELEMENTS_BY_DISABILITY_TYPE: Mapping[int, str] = MappingProxyType(_BY_DISABILITY)
#: Services.RecordType code -> element (200 -> "4.14", 144 -> "V2" ...).
ELEMENTS_BY_RECORD_TYPE: Mapping[int, str] = MappingProxyType(_BY_RECORD)

# Which row column picks the element of a group, and how.
_GROUP_KEYS: dict[str, tuple[str, Mapping[int, str]]] = {
    DISABILITIES_GROUP: ("DisabilityType", ELEMENTS_BY_DISABILITY_TYPE),
    SERVICES_GROUP: ("RecordType", ELEMENTS_BY_RECORD_TYPE),
}


def _column(column: HudColumn | str) -> HudColumn | None:
    if isinstance(column, HudColumn):
        return column
    file_name, _, column_name = column.partition(".")
    hud_file = SPEC.file_for(file_name)
    return hud_file.column(column_name) if hud_file else None


def _code(row: Mapping[str, object], column: HudColumn, name: str) -> int | None:
    # Rows come from CSV files (HUD names, case varies) or from our tables (snake_case).
    target = SPEC[column.file].column(name)
    wanted = {name.lower()} | ({target.attr} if target else set())
    for key, value in row.items():
        if key.lower() in wanted:
            if isinstance(value, bool):
                return None
            if isinstance(value, int):
                return value
            if isinstance(value, str) and value.strip().isdigit():
                return int(value.strip())
            return None
    return None


def element_of(column: HudColumn | str, row: Mapping[str, object] | None = None) -> str | None:
    """The id of the element ``column`` records ("3.03"), or None if it is no FY2026 column.

    ``column`` may also be a ``"File.Column"`` string (case-insensitive). Give the
    row to resolve Disabilities and Services columns to one element.
    """
    hud_column = _column(column)
    if hud_column is None:
        return None
    element_id = _COLUMNS.get(hud_column.element)
    if row is not None and element_id in _GROUP_KEYS:
        key, by_code = _GROUP_KEYS[element_id]
        code = _code(row, hud_column, key)
        if code is not None and code in by_code:
            return by_code[code]
    return element_id


def element_name(element_id: str) -> str | None:
    """HUD's name of an element or field id, e.g. "Date of Birth"; None if unknown."""
    return _ELEMENTS.get(element_id)


def is_pseudo(element_id: str) -> bool:
    """Whether the id stands for CSV-only fields rather than a Data Dictionary element."""
    return element_id in PSEUDO_ELEMENTS


def base_element(element_id: str) -> str:
    """The element a field id belongs to: "3.917.2C" -> "3.917", "V1.11" -> "V1"."""
    match = _HUD_ID.match(element_id)
    return match["element"] if match else element_id


def describe(column: HudColumn | str, row: Mapping[str, object] | None = None) -> str:
    """How an HMIS lead names the column: "3.03 Date of Birth".

    CSV-only columns read "Exit.ExitID (HMIS CSV record identifier)"; a column we
    cannot map reads as its "File.Column" name.
    """
    element_id = element_of(column, row)
    hud_column = _column(column)
    where = hud_column.element if hud_column else str(column)
    if element_id is None:
        return where
    if is_pseudo(element_id):
        return f"{where} ({_ELEMENTS[element_id]})"
    return f"{element_id} {_ELEMENTS[element_id]}"


def columns_for(element_id: str) -> tuple[HudColumn, ...]:
    """The columns recording an element or any of its fields, in spec order.

    ``columns_for("3.917")`` gives Enrollment.LivingSituation ... MonthsHomelessPastThreeYears.
    Elements only a row picks (4.05, 4.14 ...) give their group's columns.
    """
    groups = {group for group, (_, by_code) in _GROUP_KEYS.items() if element_id in by_code.values()}
    return tuple(
        column
        for hud_file in SPEC
        for column in hud_file.columns
        if (mapped := _COLUMNS[column.element]) == element_id
        or mapped in groups
        or (not is_pseudo(mapped) and base_element(mapped) == element_id)
    )
