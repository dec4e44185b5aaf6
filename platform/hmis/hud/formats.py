"""The text formats HUD gives for some string columns (codes that are not numbers).

Checked on import like a code list: a value in another format is kept and flagged.
Keyed by column name: the same name means the same format in every file.
"""
from __future__ import annotations

import re

#: column name -> (pattern the whole value must match, the format in words)
FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    "CoCCode": (re.compile(r"[A-Z]{2}-[0-9]{3}"), "two capital letters, a dash and three digits, like XX-501"),
    "EnrollmentCoC": (re.compile(r"[A-Z]{2}-[0-9]{3}"), "two capital letters, a dash and three digits, like XX-501"),
    "Geocode": (re.compile(r"[0-9]{6}"), "six digits"),
    "ZIP": (re.compile(r"[0-9]{5}"), "five digits"),
    "State": (re.compile(r"[A-Z]{2}"), "a two-letter state abbreviation"),
    # HUD: nine characters, digits or a lower-case x for each digit not known.
    "SSN": (re.compile(r"[0-9xX]{9}"), "nine digits, with x for any digit not known"),
}


def format_of(column_name: str) -> tuple[re.Pattern[str], str] | None:
    return FORMATS.get(column_name)
