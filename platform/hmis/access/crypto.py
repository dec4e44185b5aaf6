"""Encryption of sensitive fields at rest, and keyed hashes to search them.

The key is the ``ENCRYPTION_KEY`` setting (a Fernet key). Fernet gives authenticated
encryption with a random IV, so the same SSN encrypts differently each time; that is
why lookups go through :func:`keyed_hash`, an HMAC whose key is derived from the same
setting (a plain hash of a nine-digit number could be reversed by trying them all).
"""
from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


class DecryptionError(ValueError):
    """A stored value cannot be decrypted with the configured key (wrong or rotated key)."""


def _key() -> bytes:
    return current_app.config["ENCRYPTION_KEY"].encode("ascii")


def encrypt(text: str) -> str:
    return Fernet(_key()).encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return Fernet(_key()).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeEncodeError) as exc:
        raise DecryptionError("a stored value cannot be decrypted with HMIS_ENCRYPTION_KEY") from exc


def keyed_hash(text: str, purpose: str) -> str:
    """HMAC-SHA256 of ``text`` under a key derived from the settings' key and ``purpose``
    (so an SSN hash cannot be compared with, say, a name hash)."""
    subkey = hmac.new(base64.urlsafe_b64decode(_key()), purpose.encode("utf-8"), hashlib.sha256).digest()
    return hmac.new(subkey, text.encode("utf-8"), hashlib.sha256).hexdigest()
