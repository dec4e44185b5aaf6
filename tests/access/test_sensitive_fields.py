"""SSN encryption and keyed hashes; HUD's hashed CSV variant."""
from __future__ import annotations

import hashlib

import pytest
from cryptography.fernet import Fernet

from hmis.access import crypto, sensitive
from hmis.interchange.hashing import HASHED_COLUMNS, hash_name, hash_ssn


def test_ssn_is_encrypted_and_found_by_its_keyed_hash(sqlite_app):
    stored = sensitive.protect("123-45-6789")
    assert "123456789" not in stored.encrypted and "6789" not in stored.encrypted
    assert stored.masked == "xxxxx6789"
    assert sensitive.reveal(stored) == "123456789"
    assert stored.lookup_hash == sensitive.lookup_hash("123 45 6789")  # the same SSN typed differently
    assert stored.lookup_hash != sensitive.lookup_hash("123456780")
    assert stored.lookup_hash != hashlib.sha256(b"123456789").hexdigest()  # keyed, not a plain hash
    assert sensitive.protect("123456789").encrypted != stored.encrypted  # random IV each time


def test_partial_ssn_and_bad_values(sqlite_app):
    assert sensitive.reveal(sensitive.protect("XXXXX6789")) == "xxxxx6789"
    for bad in ("12345678", "1234567890", "abc-de-fghi", ""):
        with pytest.raises(sensitive.SSNFormatError, match="nine digits"):
            sensitive.protect(bad)


def test_another_key_cannot_read_or_match(app_factory):
    first = app_factory("sqlite")
    with first.app_context():
        stored = sensitive.protect("123456789")
    second = app_factory("sqlite", ENCRYPTION_KEY=Fernet.generate_key().decode())
    with second.app_context():
        with pytest.raises(crypto.DecryptionError):
            sensitive.reveal(stored)
        assert sensitive.lookup_hash("123456789") != stored.lookup_hash


def test_hud_hashed_variant_rules():
    assert hash_name("Robert") == hashlib.sha256(b"R163").hexdigest()
    assert hash_name("Rupert") == hash_name("Robert")  # Soundex tolerates spelling variants
    assert hash_ssn("123456789") == "6789" + hashlib.sha256(b"123456789").hexdigest()
    assert hash_ssn("6789") == "6789" + hashlib.sha256(b"xxxxx6789").hexdigest()  # padded with x
    assert ("Client", "NameSuffix") not in HASHED_COLUMNS
    assert {("Client", c) for c in ("FirstName", "MiddleName", "LastName", "SSN")} <= set(HASHED_COLUMNS)
