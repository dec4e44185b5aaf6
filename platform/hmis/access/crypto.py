"""Encryption of sensitive fields at rest, and keyed hashes to search them.

The key is the ``ENCRYPTION_KEY`` setting (a Fernet key); ``RETIRED_ENCRYPTION_KEYS``
lists keys it replaced. Encryption always uses the current key; decryption tries the
current key first, then the retired ones (:class:`~cryptography.fernet.MultiFernet`),
so rotating is: set the new key, list the old one as retired, run ``hmis ssn rotate``,
then drop the retired key. Fernet gives authenticated encryption with a random IV: the
same SSN encrypts differently each time, and a token changed or read with the wrong
key fails loudly (:class:`DecryptionError`) instead of giving garbage.

Lookups therefore go through :func:`keyed_hash`, an HMAC whose key is derived from the
encryption key (a plain hash of a nine-digit number could be reversed by trying them
all). A new key gives new hashes; :func:`keyed_hashes` gives the hash under every
configured key, so a search still finds rows not yet rotated.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class DecryptionError(ValueError):
    """A stored value cannot be decrypted with the configured keys (wrong or retired key, or altered)."""


class Cipher:
    """The configured keys, resolved once: bulk work (sealing, rotation, exports) encrypts
    thousands of values and should not look the settings up for each."""

    def __init__(self, current: str, retired: tuple[str, ...] = ()):
        self.current = current
        self.keys = (current, *(k for k in retired if k != current))
        self.key_id = key_id(current)
        # MultiFernet: encrypt with the first key, decrypt with whichever opens the token.
        self._fernet = MultiFernet([Fernet(k.encode("ascii")) for k in self.keys])

    def encrypt(self, text: str) -> str:
        """A token of ``text`` under the current key."""
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The text of a token made under the current or a retired key.

        :raise DecryptionError: no configured key opens it.
        """
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeEncodeError, UnicodeDecodeError) as exc:
            raise DecryptionError(
                "A stored encrypted value cannot be decrypted with HMIS_ENCRYPTION_KEY (nor any key in "
                "HMIS_RETIRED_ENCRYPTION_KEYS): the key was changed without listing the old one as retired, "
                "or the value was altered.") from exc

    def keyed_hash(self, text: str, purpose: str, key: str | None = None) -> str:
        """HMAC-SHA256 of ``text`` under a key derived from the settings' key and ``purpose``
        (so an SSN hash cannot be compared with, say, a name hash)."""
        return hmac.new(_subkey(key or self.current, purpose), text.encode("utf-8"), hashlib.sha256).hexdigest()

    def keyed_hashes(self, text: str, purpose: str) -> list[str]:
        """:meth:`keyed_hash` under the current key and every retired one (current first)."""
        return [self.keyed_hash(text, purpose, key) for key in self.keys]


def key_id(key: str | None = None) -> str:
    """A short, non-secret name of a key (stored next to each token, so rotation finds old ones)."""
    return hashlib.sha256(b"hmis-key-id:" + (key or cipher().current).encode("ascii")).hexdigest()[:12]


def cipher() -> Cipher:
    """The app's keys (``ENCRYPTION_KEY`` and ``RETIRED_ENCRYPTION_KEYS``)."""
    config = current_app.config
    return _cipher(config["ENCRYPTION_KEY"], tuple(config.get("RETIRED_ENCRYPTION_KEYS") or ()))


@functools.lru_cache(maxsize=8)
def _cipher(current: str, retired: tuple[str, ...]) -> Cipher:
    return Cipher(current, retired)


@functools.lru_cache(maxsize=32)
def _subkey(key: str, purpose: str) -> bytes:
    return hmac.new(base64.urlsafe_b64decode(key.encode("ascii")), purpose.encode("utf-8"), hashlib.sha256).digest()


def encrypt(text: str) -> str:
    return cipher().encrypt(text)


def decrypt(token: str) -> str:
    return cipher().decrypt(token)


def keyed_hash(text: str, purpose: str, key: str | None = None) -> str:
    return cipher().keyed_hash(text, purpose, key)


def keyed_hashes(text: str, purpose: str) -> list[str]:
    return cipher().keyed_hashes(text, purpose)
