"""Sensitive fields at rest: the SSN, encrypted, with a keyed hash to find it.

A client's SSN lives in ``client_ssn`` (:class:`~hmis.models.privacy.ClientSSN`):
encrypted with the settings' key (:func:`hmis.access.crypto.encrypt`), indexed by an
HMAC (:func:`hmis.access.crypto.keyed_hash`: equal SSNs have equal hashes, so an exact
search is one indexed lookup, while the hash cannot be reversed by trying all 10^9
numbers without the key), and flagged valid or not by HUD's rules when stored.
``client.ssn`` keeps only the masked form ``xxxxx1234``: what the profile shows, the
last-four search and the matching blocks use, and nothing more.

Writes go through :func:`store` (the records service, forms, merges) or, after a bulk
load that wrote ``client.ssn`` directly (the importer), :func:`seal_plaintext_ssns`.
Reads that need the number decrypt (:func:`reveal`, :func:`ssn_of`, :func:`reveal_many`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..models import Client
from ..models.core import utcnow
from ..models.privacy import ClientSSN
from . import crypto
from .operations import Actor, operation

_TYPED = re.compile(r"[\s-]")
_HUD_FORM = re.compile(r"[0-9x]{9}")
HASH_PURPOSE = "ssn"
MASK_PREFIX = "xxxxx"
#: Rows encrypted (or re-encrypted) per round trip by the bulk functions.
BATCH = 5000
#: Numbers HUD's data-quality checks treat as made up (besides one digit repeated).
_SEQUENTIAL = frozenset({"123456789", "987654321"})

CLIENT = Client.__table__
CLIENT_SSN = ClientSSN.__table__


class SSNFormatError(ValueError):
    """The value is not an SSN in HUD's form (nine digits, ``x`` for digits not given)."""


@dataclass(frozen=True)
class StoredSSN:
    """What is kept for one SSN: never the plain value."""

    encrypted: str  #: Fernet token of the SSN
    lookup_hash: str  #: HMAC-SHA256 hex of the normalized SSN, for exact search
    masked: str  #: ``xxxxx`` and the last four characters, safe to show and to match on
    valid: bool = False  #: nine digits passing HUD's validity checks
    key_id: str = ""  #: the key that made ``encrypted``


def normalize(value: str) -> str:
    """HUD's form: dashes and spaces dropped, ``X`` lower-cased, nine characters.

    :raise SSNFormatError: for anything else.
    """
    text = _TYPED.sub("", value or "").lower()
    if not _HUD_FORM.fullmatch(text):
        raise SSNFormatError("An SSN has nine digits (use x for digits the client did not give), "
                             "for example 123-45-6789 or xxxxx6789.")
    return text


def mask(text: str) -> str:
    """``xxxxx`` and the last four characters (``x``-padded when fewer were recorded)."""
    return MASK_PREFIX + ("xxxx" + _TYPED.sub("", text).lower())[-4:]


def is_valid(ssn: str) -> bool:
    """HUD's validity test (APR/CAPER Q6a "data issues"): nine digits; area not 000, 666 or
    9xx; group not 00; serial not 0000; not one digit repeated; not 123456789 or 987654321."""
    if not (len(ssn) == 9 and ssn.isdigit()):
        return False
    area, group, serial = ssn[:3], ssn[3:5], ssn[5:]
    return not (area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000"
                or len(set(ssn)) == 1 or ssn in _SEQUENTIAL)


def _hash_form(text: str) -> str:
    """The text a hash is taken of: the normalized SSN, or (a value an import kept though
    it is not in HUD's form) the text without dashes or spaces."""
    try:
        return normalize(text)
    except SSNFormatError:
        return _TYPED.sub("", text).lower()


def seal(text: str, cipher: crypto.Cipher | None = None) -> StoredSSN:
    """Encrypt ``text`` exactly as recorded (an export gives it back byte for byte).
    Bulk callers pass the ``cipher`` they resolved once."""
    cipher = cipher or crypto.cipher()
    form = _hash_form(text)
    return StoredSSN(encrypted=cipher.encrypt(text), lookup_hash=cipher.keyed_hash(form, HASH_PURPOSE),
                     masked=mask(text), valid=is_valid(form), key_id=cipher.key_id)


def protect(value: str) -> StoredSSN:
    """Normalize, encrypt and hash an SSN for storage. :raise SSNFormatError: not an SSN."""
    return seal(normalize(value))


def lookup_hash(value: str) -> str:
    """The keyed hash to search for an SSN (normalized first, so 123-45-6789 finds 123456789)."""
    return crypto.keyed_hash(normalize(value), HASH_PURPOSE)


def lookup_hashes(value: str) -> list[str]:
    """:func:`lookup_hash` under the current and every retired key (a search during a rotation)."""
    return crypto.keyed_hashes(normalize(value), HASH_PURPOSE)


def reveal(stored: StoredSSN | str) -> str:
    """The plain SSN again, from the token. :raise crypto.DecryptionError: wrong key."""
    token = stored.encrypted if isinstance(stored, StoredSSN) else stored
    return crypto.decrypt(token)


def is_masked(value: str | None) -> bool:
    return bool(value) and len(value) == 9 and value.startswith(MASK_PREFIX)


# -- one client, through the ORM session -----------------------------------------------------------

def _fill(row: ClientSSN, stored: StoredSSN) -> None:
    row.ssn_encrypted, row.ssn_hash, row.key_id = stored.encrypted, stored.lookup_hash, stored.key_id
    row.masked, row.ssn_valid, row.updated_dt = stored.masked, stored.valid, utcnow()


def store(session: Session, client: Client, value: str | None, *, verbatim: bool = False) -> bool:
    """Set (or with an empty ``value``, clear) a client's SSN; ``client.ssn`` gets the masked form.

    Flushes a new client first (the row needs its id). Returns whether the SSN changed.
    ``verbatim`` keeps the value exactly as given (one that was stored before, say by an
    import, and is put back); otherwise it is normalized.
    :raise SSNFormatError: ``value`` is not an SSN (and not ``verbatim``).
    """
    text = (value if verbatim else normalize(value)) if value else None
    if client.id is None:
        session.flush()
    row = session.get(ClientSSN, client.id)
    if text is None:
        changed = row is not None or client.ssn is not None
        if row is not None:
            session.delete(row)
        client.ssn = None
        return changed
    if row is not None and row.masked == client.ssn and (text == row.masked or row.ssn_hash in crypto.keyed_hashes(
            _hash_form(text), HASH_PURPOSE)):
        # The same number typed again, or its masked form coming back (a saved form
        # answer keeps only that): keep the token (and its key).
        return False
    stored = seal(text)
    if row is None:
        row = ClientSSN(client_id=client.id)
        session.add(row)
    _fill(row, stored)
    client.ssn = stored.masked
    return True


def ssn_of(session: Session, client: Client) -> str | None:
    """A client's SSN in the clear (for a permitted reveal, a form's checks, the export).

    A client whose ``client.ssn`` was written around the service and not sealed yet
    gives that value.
    """
    row = session.get(ClientSSN, client.id) if client.id is not None else None
    if row is not None and row.masked == client.ssn:
        return reveal(row.ssn_encrypted)
    return client.ssn


def snapshot(session: Session, client: Client) -> dict[str, Any]:
    """The client's SSN as a merge remembers it to undo later: masked and encrypted, never plain."""
    row = session.get(ClientSSN, client.id)
    if row is None or row.masked != client.ssn:
        return {"masked": mask(client.ssn) if client.ssn else None,
                "encrypted": crypto.encrypt(client.ssn) if client.ssn else None}
    return {"masked": row.masked, "encrypted": row.ssn_encrypted}


def restore(session: Session, client: Client, token: str | None) -> None:
    """Give ``client`` the SSN of a token kept by :func:`snapshot` (none: no SSN)."""
    store(session, client, reveal(token) if token else None, verbatim=True)


def mask_answers(form: Any, answers: dict[str, Any]) -> dict[str, Any]:
    """A form's answers as a saved response keeps them: an SSN item's number reduced to its
    masked form (the number itself reaches ``client_ssn`` through the records service)."""
    for item in form.all_items:
        answer = answers.get(item.id)
        if item.type == "ssn" and isinstance(answer, dict) and answer.get("ssn"):
            answers[item.id] = {**answer, "ssn": mask(str(answer["ssn"]))}
    return answers


# -- bulk, inside a caller's transaction --------------------------------------------------------------

def _rows(stored: Iterable[tuple[int, StoredSSN]]) -> list[dict[str, Any]]:
    now = utcnow()
    return [{"client_id": client_id, "ssn_encrypted": s.encrypted, "ssn_hash": s.lookup_hash, "key_id": s.key_id,
             "masked": s.masked, "ssn_valid": s.valid, "updated_dt": now} for client_id, s in stored]


def seal_plaintext_ssns(connection: Connection, data_source_id: int | None = None, batch_size: int = BATCH) -> int:
    """Encrypt every SSN written straight into ``client.ssn`` (a bulk import) into ``client_ssn``
    and leave the masked form in its place; drop the encrypted SSN of a client whose
    ``client.ssn`` was emptied. Runs in the caller's transaction; returns the clients sealed.
    ``data_source_id`` limits it to one source's clients (an import's: concurrent imports of
    other sources then never touch the same rows).

    A client needs sealing when ``client.ssn`` differs from what its ``client_ssn`` row says
    it should hold (or it has none). The one change this cannot see is a partial SSN
    ``xxxxx1234`` imported over a full one with the same last four.
    """
    c, s = CLIENT, CLIENT_SSN
    cipher = crypto.cipher()
    scope = [c.c.data_source_id == data_source_id] if data_source_id is not None else []
    connection.execute(s.delete().where(s.c.client_id.in_(select(c.c.id).where(c.c.ssn.is_(None), *scope))))
    pending = connection.execute(
        select(c.c.id, c.c.ssn, s.c.client_id).select_from(c.outerjoin(s, s.c.client_id == c.c.id))
        .where(c.c.ssn.is_not(None), or_(s.c.client_id.is_(None), s.c.masked != c.c.ssn), *scope)
        .order_by(c.c.id)).all()
    for start in range(0, len(pending), batch_size):
        batch = pending[start:start + batch_size]
        stale = [client_id for client_id, _, existing in batch if existing is not None]
        if stale:
            connection.execute(s.delete().where(s.c.client_id.in_(stale)))
        connection.execute(s.insert(), _rows((client_id, seal(text, cipher)) for client_id, text, _ in batch))
        masked = select(s.c.masked).where(s.c.client_id == c.c.id).scalar_subquery()
        connection.execute(c.update().where(c.c.id.in_([row[0] for row in batch])).values(ssn=masked))
    return len(pending)


def reveal_many(connection: Connection, client_ids: Iterable[int]) -> dict[int, str]:
    """The plain SSN of each client that has one (for matching and exports), in batches."""
    s = CLIENT_SSN
    cipher = crypto.cipher()
    ids = list(client_ids)
    found: dict[int, str] = {}
    for start in range(0, len(ids), BATCH):
        for client_id, token in connection.execute(
                select(s.c.client_id, s.c.ssn_encrypted).where(s.c.client_id.in_(ids[start:start + BATCH]))):
            found[client_id] = cipher.decrypt(token)
    return found


def rotate(connection: Connection, batch_size: int = BATCH, limit: int | None = None) -> int:
    """Re-encrypt (and re-hash) up to ``limit`` (default: every) SSN not made with the current
    key, ``batch_size`` per round trip; once none is left, also the SSNs merges keep to be
    undone. Returns the client SSNs re-encrypted. The old key must be listed in
    ``RETIRED_ENCRYPTION_KEYS``. :raise crypto.DecryptionError: a token no key opens.
    """
    s = CLIENT_SSN
    cipher = crypto.cipher()
    current = cipher.key_id
    done = 0
    while limit is None or done < limit:
        size = batch_size if limit is None else min(batch_size, limit - done)
        batch = connection.execute(select(s.c.client_id, s.c.ssn_encrypted).where(s.c.key_id != current)
                                   .order_by(s.c.client_id).limit(size)).all()
        if not batch:
            break
        fresh = _rows((client_id, seal(cipher.decrypt(token), cipher)) for client_id, token in batch)
        connection.execute(
            s.update().where(s.c.client_id == bindparam("b_id")).values(
                ssn_encrypted=bindparam("b_enc"), ssn_hash=bindparam("b_hash"), key_id=bindparam("b_key"),
                updated_dt=bindparam("b_dt")),
            [{"b_id": r["client_id"], "b_enc": r["ssn_encrypted"], "b_hash": r["ssn_hash"], "b_key": r["key_id"],
              "b_dt": r["updated_dt"]} for r in fresh])
        done += len(batch)
    if limit is None or done < limit:
        _rotate_merge_snapshots(connection)
    return done


def _rotate_merge_snapshots(connection: Connection) -> int:
    """Merges keep the survivor's replaced SSN (encrypted) to undo: re-encrypt those too."""
    from ..models.identity import ClientMerge

    merges = ClientMerge.__table__
    count = 0
    for merge_id, state in connection.execute(
            select(merges.c.id, merges.c.before_state).where(merges.c.status == "active")).all():
        saved = ((state or {}).get("survivor_fields") or {}).get("ssn") or {}
        token = saved.get("old_encrypted")
        if not token:
            continue
        saved["old_encrypted"] = crypto.encrypt(crypto.decrypt(token))
        connection.execute(merges.update().where(merges.c.id == merge_id).values(before_state=state))
        count += 1
    return count


def exact_match(value: str):
    """A condition on ``Client`` for "has exactly this SSN" (any configured key's hash).

    :raise SSNFormatError: ``value`` is not an SSN.
    """
    s = ClientSSN
    return select(s.client_id).where(and_(s.client_id == Client.id, s.ssn_hash.in_(lookup_hashes(value)))).exists()


# -- showing it to a person ------------------------------------------------------------------------

@operation("clients.reveal_ssn", permission="clients.view_ssn")
def reveal_client_ssn(actor: Actor, client: Client) -> str | None:
    """The client's whole SSN for someone whose role may see it, recorded in the audit log
    (the number itself is not logged). :raise PermissionDenied: role or sharing policy."""
    from ..extensions import db
    from . import audit, policy

    policy.require_client(actor, client)
    value = ssn_of(db.session, client)
    audit.record("client.ssn_reveal", subject_type="client", subject_id=client.id,
                 details={"actor": actor.name or None, "on_file": value is not None})
    return value


def display(value: str | None) -> str:
    """An SSN as people read it: 123-45-6789 for nine characters, else as recorded."""
    if value and len(value) == 9:
        return f"{value[:3]}-{value[3:5]}-{value[5:]}"
    return value or ""
