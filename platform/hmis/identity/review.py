"""The duplicate review queue: store the matcher's candidate pairs, remember "not a duplicate".

A scan (``hmis duplicates find --store`` or the browser's "Find duplicates" job) scores
every live client, drops the pairs already decided (remembered as not duplicates,
linked, or already one person) and replaces the queue's open pairs with what it found.
Decided pairs stay as history.
"""
from __future__ import annotations

import time
from typing import Any

from sqlalchemy import delete, insert, select, update

from ..access import audit
from ..access.operations import Actor, operation
from ..extensions import db
from ..models import Client, DataSource
from ..models.core import utcnow
from ..models.identity import ClientLink, DuplicateCandidate, NotDuplicate, PersonKey
from .cli import load_client_records
from .config import MatchingConfig, load_config
from .errors import ClientNotFound, IdentityError
from .links import ordered
from .matching import MatchStats, find_candidates


def client_id_map() -> dict[tuple[str, str], int]:
    """``{(data source key, PersonalID): client id}`` for every live client."""
    rows = db.session.execute(select(DataSource.key, Client.personal_id, Client.id)
                              .join(DataSource, DataSource.id == Client.data_source_id)
                              .where(Client.date_deleted.is_(None)))
    return {(key, pid): cid for key, pid, cid in rows}


def decided_pairs() -> set[tuple[int, int]]:
    """Pairs never to propose again: remembered as not duplicates, or linked."""
    pairs = {tuple(r) for r in db.session.execute(select(NotDuplicate.client_a_id, NotDuplicate.client_b_id))}
    pairs |= {tuple(r) for r in db.session.execute(select(ClientLink.client_a_id, ClientLink.client_b_id))}
    return pairs


def proposable(candidates, ids: dict[tuple[str, str], int]):
    """The candidates worth a person's time, each with its ordered client-id pair: not
    decided before and not already the same person."""
    decided = decided_pairs()
    person = dict(db.session.execute(select(PersonKey.client_id, PersonKey.person_id)).all())
    for c in candidates:
        a, b = ids.get((c.a.source, c.a.id)), ids.get((c.b.source, c.b.id))
        if a is None or b is None or a == b:
            continue
        pair = ordered(a, b)
        if pair in decided or person.get(a, a) == person.get(b, b):
            continue
        yield pair, c


@operation("duplicates.scan", permission="duplicates.review")
def scan(actor: Actor, config: MatchingConfig | None = None, job_id: str | None = None) -> dict[str, Any]:
    """Score every live client and replace the queue's open pairs (flushed; the caller commits)."""
    from ..jobs import set_progress

    config = config or load_config()
    began = time.perf_counter()
    set_progress(job_id, 5, "Loading clients")
    records = load_client_records()
    ids = client_id_map()
    set_progress(job_id, 20, f"Comparing {len(records):,} clients")
    stats = MatchStats()
    found = {pair: c for pair, c in proposable(find_candidates(records, config, stats), ids)}
    set_progress(job_id, 80, f"Storing {len(found):,} pairs")
    stored = store_candidates(found, job_id)
    summary = {"clients": len(records), "comparisons": stats.comparisons, "pairs": stored,
               "threshold": config.threshold, "seconds": round(time.perf_counter() - began, 1)}
    audit.record("duplicates.find", subject_type="job" if job_id else None, subject_id=job_id, details=summary)
    db.session.flush()
    return summary


def store_candidates(found: dict, job_id: str | None = None) -> int:
    """Replace the queue's open pairs with ``found`` (``{(a, b): Candidate}``); decided pairs
    stay as they are. Returns how many pairs were stored."""
    db.session.execute(delete(DuplicateCandidate).where(DuplicateCandidate.status == "open"))
    kept = {tuple(r) for r in db.session.execute(select(DuplicateCandidate.client_a_id,
                                                        DuplicateCandidate.client_b_id))}
    now = utcnow()
    rows = [{"client_a_id": a, "client_b_id": b, "score": float(c.score), "reasons": list(c.reasons),
             "status": "open", "job_id": job_id, "found_dt": now}
            for (a, b), c in sorted(found.items()) if (a, b) not in kept]
    for start in range(0, len(rows), 1000):
        db.session.execute(insert(DuplicateCandidate), rows[start:start + 1000])
    db.session.flush()
    return len(rows)


@operation("duplicates.not_duplicate", permission="duplicates.review")
def mark_not_duplicate(actor: Actor, client_a_id: int, client_b_id: int, note: str | None = None) -> NotDuplicate:
    """Remember that two clients are different people: the pair is never proposed again (flushed)."""
    if client_a_id == client_b_id:
        raise IdentityError(f"Client {client_a_id} is one record: a pair needs two different clients.")
    a, b = ordered(client_a_id, client_b_id)
    for client_id in (a, b):
        if db.session.get(Client, client_id) is None:
            raise ClientNotFound(f"There is no client {client_id}.")
    existing = db.session.scalar(select(NotDuplicate).where(NotDuplicate.client_a_id == a,
                                                            NotDuplicate.client_b_id == b))
    if existing is not None:
        return existing
    remembered = NotDuplicate(client_a_id=a, client_b_id=b, account_id=actor.account_id,
                              note=(note or "").strip()[:2000] or None)
    db.session.add(remembered)
    db.session.execute(update(DuplicateCandidate).where(
        DuplicateCandidate.client_a_id == a, DuplicateCandidate.client_b_id == b)
        .values(status="not_duplicate", decided_dt=utcnow(), decided_by_id=actor.account_id)
        .execution_options(synchronize_session=False))
    db.session.flush()
    audit.record("client.not_duplicate", subject_type="client", subject_id=a,
                 details={"client_a_id": a, "client_b_id": b, "note": remembered.note})
    return remembered


@operation("duplicates.forget_not_duplicate", permission="duplicates.merge")
def forget_not_duplicate(actor: Actor, not_duplicate_id: int) -> None:
    """Take back a "not a duplicate" decision, so the next scan may propose the pair again."""
    remembered = db.session.get(NotDuplicate, not_duplicate_id)
    if remembered is None:
        raise IdentityError(f"There is no remembered pair {not_duplicate_id}.")
    details = {"client_a_id": remembered.client_a_id, "client_b_id": remembered.client_b_id}
    db.session.delete(remembered)
    db.session.flush()
    audit.record("client.not_duplicate_forget", subject_type="client", subject_id=details["client_a_id"],
                 details=details)
