"""The password policy: long enough, not common, not the account's own name or email.

It follows NIST SP 800-63B rather than composition rules: length is what makes a
password strong, and "must contain a digit" mostly yields "Password1".
"""
from __future__ import annotations

import unicodedata

MIN_LENGTH = 10
MAX_LENGTH = 256  # argon2 takes any length; a cap keeps a hostile request from costing much

#: Passwords attackers try first (a short list of our own; the length rule already
#: excludes most common ones, which are shorter than ten characters).
COMMON = frozenset({
    "password123", "password1234", "password12345", "passw0rd123", "1234567890", "12345678910",
    "0123456789", "9876543210", "qwertyuiop", "qwerty12345", "qwerty123456", "1q2w3e4r5t", "1qaz2wsx3edc",
    "iloveyou123", "welcome123", "welcome1234", "letmein123", "administrator", "changeme123",
    "abcdefghij", "abcd123456", "homeless123", "hmispassword", "password!123", "p@ssword123",
    "trustno1234", "football123", "baseball123", "sunshine123", "princess123", "dragon12345",
})


def problems(password: str, *, email: str = "", name: str = "") -> list[str]:
    """What is wrong with ``password``, as sentences for the form (empty: acceptable)."""
    found = []
    normalized = unicodedata.normalize("NFKC", password)
    if len(normalized) < MIN_LENGTH:
        found.append(f"Use at least {MIN_LENGTH} characters.")
    if len(normalized) > MAX_LENGTH:
        found.append(f"Use at most {MAX_LENGTH} characters.")
    lowered = normalized.casefold()
    if lowered in COMMON:
        found.append("This password is too common; choose another.")
    elif len(set(lowered)) <= 2 and lowered:
        found.append("Use more than one or two different characters.")
    local = email.split("@", 1)[0].casefold()
    if (local and len(local) >= 4 and local in lowered) or (name.strip() and name.strip().casefold() == lowered):
        found.append("Do not use your name or email address in your password.")
    return found
