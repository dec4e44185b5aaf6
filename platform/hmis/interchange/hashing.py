"""HUD's hashed-PII variant of the HMIS CSV (Export.HashStatus 4, SHA-256).

Names are reduced to their Soundex code and then hashed, so that matching on the
hashes still tolerates spelling variants; the SSN is hashed whole with its last
four digits appended in the clear, which HUD's matching relies on.
(Verify against HUD's CSV specification before certifying an export.)
"""
from __future__ import annotations

import hashlib

_CODES = {c: str(d) for d, letters in enumerate(("AEIOUYHW", "BFPV", "CGJKQSXZ", "DT", "L", "MN", "R")) for c in letters}


def soundex(name: str) -> str:
    """American Soundex: a letter and three digits ('Robert' -> 'R163')."""
    letters = [c for c in name.upper() if "A" <= c <= "Z"]
    if not letters:
        return ""
    first, rest = letters[0], letters[1:]
    digits = []
    previous = _CODES[first]
    for letter in rest:
        code = _CODES[letter]
        if code != "0" and code != previous:
            digits.append(code)
        if letter not in "HW":  # H and W do not separate letters with the same code
            previous = code
    return (first + "".join(digits) + "000")[:4]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def hash_name(name: str | None) -> str | None:
    if not name:
        return name
    code = soundex(name)
    return sha256(code) if code else None


def hash_ssn(ssn: str | None) -> str | None:
    if not ssn:
        return ssn
    return sha256(ssn) + ssn[-4:]


HASHED_COLUMNS = {
    ("Client", "FirstName"): hash_name,
    ("Client", "MiddleName"): hash_name,
    ("Client", "LastName"): hash_name,
    ("Client", "NameSuffix"): hash_name,
    ("Client", "SSN"): hash_ssn,
}
