"""HUD's hashed-PII variant of the HMIS CSV (Export.HashStatus 4, "SHA-256 (RHY)").

HUD's CSV specification names only the algorithm (HashStatus 4 = SHA-256, the RHY
convention); the field rules below are the ones the open implementations that
exchange hashed files with HUD's tools apply (checked against Green River's
hmis-warehouse exporter, which is tested against HUD Data Lab kits):

* FirstName, MiddleName, LastName: the American Soundex code of the name (upper
  case, a letter and three digits), then its SHA-256 as 64 lower-case hex digits,
  so matching on hashes still tolerates spelling variants. NameSuffix stays as is.
* SSN: left-padded with ``x`` to nine characters; its last four characters in the
  clear, *followed by* the SHA-256 of the padded value (68 characters in all).
  The clear last four is what HUD's matching on partial SSNs relies on.
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
    padded = ssn.rjust(9, "x")
    return padded[-4:] + sha256(padded)


HASHED_COLUMNS = {
    ("Client", "FirstName"): hash_name,
    ("Client", "MiddleName"): hash_name,
    ("Client", "LastName"): hash_name,
    ("Client", "SSN"): hash_ssn,
}
