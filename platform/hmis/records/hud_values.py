"""Check values typed into a screen against HUD's column spec before they are saved.

One checker for every HUD record the service writes: text fits the column's length
and holds no control characters; codes come from the column's HUD list (``hmis.hud``,
never retyped here), including lists that depend on another column of the row
(Services.TypeProvided by RecordType); dates are real yyyy-mm-dd dates. All problems
are collected, so a screen can show every one at its item at once.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from ..hud import SPEC, HudColumn, codelists
from .errors import RecordInvalid

#: Characters no name or note should hold (tabs and line breaks are refused too:
#: HUD's CSV fields are single-line and a stray one breaks other systems' imports).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
EARLIEST = date(1900, 1, 1)


class FieldError(ValueError):
    """One value is wrong; the message says why in words a case manager understands."""


def column(file: str, attr: str) -> HudColumn:
    for candidate in SPEC[file].columns:
        if candidate.attr == attr:
            return candidate
    raise KeyError(f"{file} has no column {attr}")


def clean_text(value: Any, max_length: int | None) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if _CONTROL.search(text):
        raise FieldError("Remove the control characters (such as tabs or line breaks) from this answer.")
    if max_length and len(text) > max_length:
        raise FieldError(f"This answer is {len(text):,} characters long; HUD allows at most {max_length}.")
    return text


def clean_code(value: Any, list_id: str | None) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise FieldError("Choose one of the listed answers.")
    try:
        code = int(str(value).strip())
    except ValueError:
        raise FieldError("Choose one of the listed answers.") from None
    if list_id is not None and not codelists.is_valid(list_id, code):
        raise FieldError(f"{code} is not an answer HUD allows here ({codelists.get(list_id).name}).")
    return code


def clean_date(value: Any, *, allow_future: bool = False) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        parsed = value
    else:
        text = str(value).strip()
        try:
            parsed = date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            parsed = None
        if parsed is None:
            raise FieldError("Enter a real date as yyyy-mm-dd (for example 2026-03-01).")
    if parsed < EARLIEST:
        raise FieldError("Enter a date in 1900 or later.")
    if not allow_future and parsed > date.today():
        raise FieldError("This date is in the future.")
    return parsed


def clean_money(value: Any) -> Decimal | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", "").lstrip("$"))
    except InvalidOperation:
        raise FieldError("Enter an amount in dollars and cents, such as 125.50.") from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
        raise FieldError("Enter an amount of zero or more dollars.")
    return amount.quantize(Decimal("0.01"))


def clean_row(file: str, raw: Mapping[str, Any], *, prefix: str = "",
              allow_future: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Typed values for the given attributes of a ``file`` row; RecordInvalid lists every problem.

    Only keys present in ``raw`` are returned, so a caller can update part of a row.
    """
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    known = {c.attr: c for c in SPEC[file].columns}
    for attr, value in raw.items():
        col = known.get(attr)
        if col is None:
            errors[prefix + attr] = f"{file} has no field called {attr!r}."
            continue
        try:
            if col.type == "string":
                cleaned[attr] = clean_text(value, col.max_length)
            elif col.type == "integer":
                cleaned[attr] = clean_code(value, codelists.list_for(col, raw))
            elif col.type == "date":
                cleaned[attr] = clean_date(value, allow_future=attr in allow_future)
            elif col.type == "money":
                cleaned[attr] = clean_money(value)
            else:
                raise FieldError("This field cannot be typed in.")
        except FieldError as exc:
            errors[prefix + attr] = str(exc)
    if errors:
        raise RecordInvalid(errors)
    return cleaned


def choices(list_id: str, *, leave_out: frozenset[int] = frozenset()) -> list[tuple[int, str]]:
    """The FY2026 codes of a HUD list as (code, label) pairs, in HUD's order, for a select."""
    code_list = codelists.get(list_id)
    return [(code, text) for code, text in code_list.codes.items()
            if code in code_list.current and code not in leave_out]
