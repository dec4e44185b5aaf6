"""Link two client records of one person without merging them, and unlink them.

The lighter choice: both records stay as they are (each in its own data source, with
its own enrollments), and reports count them as one person through the person keys.
"""
from __future__ import annotations

from sqlalchemy import select, update

from ..access import audit
from ..access.operations import Actor, operation
from ..extensions import db
from ..models import Client
from ..models.identity import ClientLink, DuplicateCandidate
from . import resolved
from .errors import ClientNotFound, IdentityError
from .merge import _decide_candidates, check_policy


def ordered(a: int, b: int) -> tuple[int, int]:
    """A pair with the lower id first, as the pair tables store it."""
    return (a, b) if a < b else (b, a)


def _live_client(client_id: int) -> Client:
    client = db.session.get(Client, client_id)
    if client is None:
        raise ClientNotFound(f"There is no client {client_id}.")
    if client.date_deleted is not None:
        raise IdentityError(f"Client {client_id} is deleted (or was merged away) and cannot be linked.")
    return client


@operation("duplicates.link", permission="duplicates.merge")
def link_clients(actor: Actor, client_a_id: int, client_b_id: int, note: str | None = None) -> ClientLink:
    """Record that two clients are the same person, keeping both records (flushed)."""
    if client_a_id == client_b_id:
        raise IdentityError(f"Client {client_a_id} cannot be linked to itself: choose two different records.")
    a, b = (_live_client(i) for i in ordered(client_a_id, client_b_id))
    check_policy(actor, a)
    check_policy(actor, b)
    if db.session.scalar(select(ClientLink.id).where(ClientLink.client_a_id == a.id, ClientLink.client_b_id == b.id)):
        raise IdentityError(f"Clients {a.id} and {b.id} are already linked.")
    if resolved.resolve(a.id) == resolved.resolve(b.id):
        raise IdentityError(f"Clients {a.id} and {b.id} already count as one person (through other links).")
    link = ClientLink(client_a_id=a.id, client_b_id=b.id, account_id=actor.account_id,
                      note=(note or "").strip()[:2000] or None)
    db.session.add(link)
    _decide_candidates(a.id, b.id, "linked", actor)
    db.session.flush()
    person = resolved.refresh([a.id, b.id]).get(a.id)
    audit.record("client.link", subject_type="client", subject_id=a.id,
                 details={"link_id": link.id, "client_a_id": a.id, "client_b_id": b.id, "person_id": person,
                          "note": link.note})
    return link


@operation("duplicates.unlink", permission="duplicates.merge")
def unlink_clients(actor: Actor, link_id: int) -> None:
    """Remove a link: the two records count as two people again (flushed)."""
    link = db.session.get(ClientLink, link_id)
    if link is None:
        raise IdentityError(f"There is no link {link_id}.")
    a, b = link.client_a_id, link.client_b_id
    for client_id in (a, b):
        client = db.session.get(Client, client_id)
        if client is not None:
            check_policy(actor, client)
    db.session.delete(link)
    db.session.execute(update(DuplicateCandidate).where(
        DuplicateCandidate.client_a_id == a, DuplicateCandidate.client_b_id == b,
        DuplicateCandidate.status == "linked").values(status="open", decided_dt=None, decided_by_id=None)
        .execution_options(synchronize_session=False))
    db.session.flush()
    resolved.refresh([a, b])
    audit.record("client.unlink", subject_type="client", subject_id=a,
                 details={"link_id": link_id, "client_a_id": a, "client_b_id": b})
