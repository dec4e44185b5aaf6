"""Sensitive fields at rest: the SSN, encrypted, with a keyed hash to find it.

Building blocks for storing a client's SSN encrypted (see ``README.md`` in this
folder for the design and what is not wired yet). An SSN is normalized to HUD's
form (nine characters of digits, with ``x`` for digits the client did not give),
encrypted with the settings' key (:func:`hmis.access.crypto.encrypt`) and indexed
by an HMAC (:func:`hmis.access.crypto.keyed_hash`): equal SSNs have equal hashes, so
an exact search is one indexed lookup, while the hash alone cannot be reversed by
trying all 10^9 numbers without the key.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from . import crypto

_TYPED = re.compile(r"[\s-]")
_HUD_FORM = re.compile(r"[0-9x]{9}")
HASH_PURPOSE = "ssn"


class SSNFormatError(ValueError):
    """The value is not an SSN in HUD's form (nine digits, ``x`` for digits not given)."""


@dataclass(frozen=True)
class StoredSSN:
    """What is kept for one SSN: never the plain value."""

    encrypted: str  #: Fernet token of the normalized SSN
    lookup_hash: str  #: HMAC-SHA256 hex of the normalized SSN, for exact search
    masked: str  #: ``xxxxx`` and the last four characters, safe to show and to match on


def normalize(value: str) -> str:
    """HUD's form: dashes and spaces dropped, ``X`` lower-cased, nine characters.

    :raise SSNFormatError: for anything else.
    """
    text = _TYPED.sub("", value or "").lower()
    if not _HUD_FORM.fullmatch(text):
        raise SSNFormatError("An SSN has nine digits (use x for digits the client did not give), "
                             "for example 123-45-6789 or xxxxx6789.")
    return text


def protect(value: str) -> StoredSSN:
    """Encrypt and hash an SSN for storage."""
    ssn = normalize(value)
    return StoredSSN(encrypted=crypto.encrypt(ssn), lookup_hash=lookup_hash(ssn), masked="xxxxx" + ssn[-4:])


def lookup_hash(value: str) -> str:
    """The keyed hash to search for an SSN (normalized first, so 123-45-6789 finds 123456789)."""
    return crypto.keyed_hash(normalize(value), HASH_PURPOSE)


def reveal(stored: StoredSSN | str) -> str:
    """The plain SSN again (for the unhashed HMIS CSV export and matching), from the token."""
    token = stored.encrypted if isinstance(stored, StoredSSN) else stored
    return crypto.decrypt(token)
