"""Turn CSV text into typed values, one column at a time, and say what is wrong.

A parser returns the typed value, or raises ``BadValue`` with the rule broken.
They are plain functions picked once per column, because they run for every cell
of exports with millions of rows.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Callable


class BadValue(ValueError):
    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_string(text: str) -> str:
    return text


def parse_integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        pass
    # Some systems write codes as "1.0"; accept a whole number written that way.
    try:
        number = float(text)
    except ValueError:
        raise BadValue("bad_type", f"{text!r} is not a whole number") from None
    if number.is_integer() and abs(number) < 2**31:
        return int(number)
    raise BadValue("bad_type", f"{text!r} is not a whole number")


def parse_money(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise BadValue("bad_type", f"{text!r} is not an amount (digits and a decimal point, no $ or commas)") from None
    if not value.is_finite() or abs(value) >= Decimal("1e10"):
        raise BadValue("bad_type", f"{text!r} is not a plausible amount")
    return value.quantize(Decimal("0.01"))


def parse_date(text: str) -> date:
    # HUD: yyyy-mm-dd. A datetime in a date column (a common export quirk) keeps its date.
    head = text[:10]
    if not _DATE.fullmatch(head) or (len(text) > 10 and text[10] not in " T"):
        raise BadValue("bad_date", f"{text!r} is not a date in yyyy-mm-dd form")
    try:
        value = date.fromisoformat(head)
    except ValueError:
        raise BadValue("bad_date", f"{text!r} is not a real date") from None
    if value.year < 1900:
        raise BadValue("bad_date", f"{text!r} is before 1900")
    return value


def parse_datetime(text: str) -> datetime:
    if not _DATE.match(text):
        raise BadValue("bad_date", f"{text!r} is not a date and time in yyyy-mm-dd hh:mm:ss form")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise BadValue("bad_date", f"{text!r} is not a real date and time") from None
    if value.tzinfo is not None:  # stored as local wall-clock time, as HUD writes it
        value = value.replace(tzinfo=None)
    if value.year < 1900:
        raise BadValue("bad_date", f"{text!r} is before 1900")
    return value


PARSERS: dict[str, Callable[[str], Any]] = {
    "string": parse_string,
    "integer": parse_integer,
    "money": parse_money,
    "date": parse_date,
    "datetime": parse_datetime,
}
