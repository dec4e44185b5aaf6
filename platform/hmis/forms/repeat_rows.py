"""What a repeating group writes to HUD: its rows as HUD rows or as columns of one row.

Two shapes cover HUD's repeated answers (checked when a form is compiled, applied when
it is read, so a preview shows the same rows a submission writes):

* **One HUD row per group row** (``repeat: {key: <child>}``): the key child is mapped to
  the column that tells the record's rows apart (``Disabilities.DisabilityType``); each
  row's answer to it picks the row, and the other children fill that row's columns.
  Two rows naming the same key are refused at the second one.
* **Columns of the assessment's one row** (no key): a choice child with ``hud_columns``
  marks the column of each code some row chose with 1 and the others with 0
  (``IncomeBenefits.Earned``, ``SSI`` ...); a child with ``hud_columns`` and
  ``hud_columns_by: <that choice>`` writes its answer to the column of the code its row
  chose (``EarnedAmount``, ``SSIAmount`` ...). A plain ``hud`` child is refused here:
  every row would write the same column.

Shared rows (Client, Enrollment, Exit) and custom data elements cannot repeat.
"""
from __future__ import annotations

from typing import Any

from .items import COMPOSITE_TYPES, HudField, Item, walk

__all__ = ["SHARED_RECORDS", "map_rows", "problems"]

#: Records with one row per client or enrollment: a repeating group cannot write them.
SHARED_RECORDS = ("Client", "Enrollment", "Exit")


def _mapped(child: Item) -> list[HudField]:
    return ([child.hud] if child.hud is not None else []) + list(child.hud_columns.values())


def problems(group: Item) -> list[tuple[str, str]]:
    """``(path, message)`` for every way ``group``'s children cannot be written as HUD rows."""
    from .compile import _COLUMN_FITS

    found: list[tuple[str, str]] = []
    children = [child for child in walk(group.children) if child.is_input]
    by_id = {child.id: child for child in children}
    key = by_id.get(group.repeat_key) if group.repeat_key else None
    if group.repeat_key and (key is None or key.hud is None or key.type not in ("choice", "integer")):
        found.append((f"{group.path}.repeat.key", f"the key '{group.repeat_key}' must be a choice or whole-number "
                                                  "item of this group mapped to a HUD column (hud:)"))
    for child in children:
        if child.custom is not None:
            found.append((child.path, f"'{child.id}' is inside a repeating group: it cannot be a custom data "
                                      "element (map it to HUD, or keep the rows with the response)"))
        if child.type in COMPOSITE_TYPES:
            found.append((child.path, f"'{child.id}': a {child.type} item cannot repeat"))
        if child.hud is not None and group.repeat_key is None:
            found.append((f"{child.path}.hud", f"'{child.id}' is inside a repeating group without a key: every row "
                                               f"would write {child.hud.record}.{child.hud.column} over the last one "
                                               "(give the group repeat.key, or use hud_columns with hud_columns_by)"))
        for target in _mapped(child):
            if target.record in SHARED_RECORDS:
                found.append((child.path, f"'{child.id}' writes {target.record}, which has one row per "
                                          f"{'client' if target.record == 'Client' else 'enrollment'}: "
                                          "it cannot be inside a repeating group"))
            elif key is not None and key.hud is not None and target.record != key.hud.record:
                found.append((child.path, f"'{child.id}' writes {target.record}, but each row of this group is "
                                          f"a {key.hud.record} row (its key is '{key.id}')"))
        if child.hud_columns_by is not None:
            picker = by_id.get(child.hud_columns_by)
            if picker is None or not picker.hud_columns or picker.type != "choice":
                found.append((f"{child.path}.hud_columns_by", f"'{child.id}': hud_columns_by must name a choice "
                                                              "item of the same group that has hud_columns"))
            elif not set(child.hud_columns) <= set(picker.hud_columns):
                extra = sorted(str(code) for code in set(child.hud_columns) - set(picker.hud_columns))
                found.append((f"{child.path}.hud_columns", f"'{child.id}': {', '.join(extra)} not among the codes "
                                                           f"of '{picker.id}'"))
            fits = _COLUMN_FITS.get(child.type) or ()
            from ..hud.spec import SPEC

            for target in child.hud_columns.values():
                column = SPEC[target.record].column(target.column)
                if column is not None and column.type not in fits:
                    found.append((f"{child.path}.hud_columns", f"{target.record}.{target.column} holds "
                                                               f"{column.type} values; a {child.type} item cannot "
                                                               "fill it"))
        elif child.hud_columns and child.type not in ("choice", "multi_choice"):
            found.append((f"{child.path}.hud_columns", f"'{child.id}': a {child.type} item with hud_columns needs "
                                                       "hud_columns_by (the choice whose code picks the column)"))
    return found


def map_rows(group: Item, rows: list[dict[str, Any]], submission: Any) -> None:
    """Add what ``rows`` (the group's accepted answers) write to ``submission.records``;
    a key answered in two rows is an error at the second."""
    children = [child for child in group.descendants if child.is_input and _mapped(child)]
    if not children:
        return
    key = next((child for child in children if child.id == group.repeat_key), None)
    seen: dict[Any, int] = {}
    for index, row in enumerate(rows):
        row_key: tuple[tuple[str, Any], ...] = ()
        if key is not None and key.hud is not None:
            picked = row.get(key.id)
            if picked is None:
                continue  # an empty key: the group's own required rule says so, if it must
            if picked in seen:
                submission.errors[f"{group.id}[{index}].{key.id}"] = (
                    f"This is already answered in row {seen[picked] + 1}; each row must be a different one.")
                continue
            seen[picked] = index
            row_key = tuple(sorted(key.hud.key + ((key.hud.column, picked),)))
            submission.records.setdefault((key.hud.record, row_key), {})
        for child in children:
            if child is key:
                continue
            _write(child, row, row_key, submission)


def _write(child: Item, row: dict[str, Any], row_key: tuple, submission: Any) -> None:
    value = row.get(child.id)
    if child.hud is not None:
        if child.type == "boolean" and value is not None:
            value = 1 if value else 0
        target = (child.hud.record, tuple(sorted(child.hud.key + row_key)))
        submission.records.setdefault(target, {})[child.hud.column] = value
    if not child.hud_columns:
        return
    if child.hud_columns_by is not None:
        chosen = child.hud_columns.get(row.get(child.hud_columns_by))
        if chosen is not None and value is not None:
            target = (chosen.record, tuple(sorted(chosen.key + row_key)))
            submission.records.setdefault(target, {})[chosen.column] = value
        return
    picked = set(value if isinstance(value, list) else ([] if value is None else [value]))
    for code, column in child.hud_columns.items():
        fields = submission.records.setdefault((column.record, tuple(sorted(column.key + row_key))), {})
        if code in picked:
            fields[column.column] = 1
        else:
            fields.setdefault(column.column, 0)  # a source no row chose is a "no"
