"""The resolved identity: which person each client record belongs to.

Reports count persons, not client rows: two records merged or linked are one person.
The ``person_key`` table maps every client in a merge or link group to the group's
person id (the lowest id among its surviving clients); a client in no group has no row
and is its own person. So in SQL the person of a client is

    COALESCE((SELECT person_id FROM person_key WHERE client_id = client.id), client.id)

which :func:`person_key` builds for any client-id expression. The table is rewritten for
the affected group by every merge, undo, link and unlink, in their own transaction
(:func:`refresh`), so a report never sees a half-resolved group.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, delete, func, insert, or_, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Client
from ..models.identity import ClientLink, ClientMerge, PersonKey


def person_key(client_id: ColumnElement[int]) -> ColumnElement[int]:
    """The resolved person id of the client whose id is ``client_id`` (any SQL expression).

    ``select(func.count(person_key(Enrollment_client.id).distinct()))`` is an unduplicated count.
    """
    mapped = select(PersonKey.person_id).where(PersonKey.client_id == client_id).scalar_subquery()
    return func.coalesce(mapped, client_id)


def person_key_of(data_source_id: ColumnElement, personal_id: ColumnElement) -> ColumnElement[int]:
    """The resolved person id of the client a HUD record names by (data source, PersonalID),
    for SQL that has an enrollment's columns but no client row at hand (the report universe)."""
    named = aliased(Client)  # never correlated with a client table the outer query joins itself
    return (select(func.coalesce(PersonKey.person_id, named.id)).select_from(named)
            .outerjoin(PersonKey, PersonKey.client_id == named.id)
            .where(named.data_source_id == data_source_id, named.personal_id == personal_id)
            .scalar_subquery())


def person_keys():
    """A subquery ``(client_id, person_id)`` over every client, to join instead of calling
    :func:`person_key` per row."""
    return (select(Client.id.label("client_id"), func.coalesce(PersonKey.person_id, Client.id).label("person_id"))
            .outerjoin(PersonKey, PersonKey.client_id == Client.id)).subquery("person_keys")


def resolve(client_id: int) -> int:
    """The person id of one client (Python side)."""
    return db.session.scalar(select(PersonKey.person_id).where(PersonKey.client_id == client_id)) or client_id


def group_of(client_id: int) -> list[int]:
    """Every client id resolved to the same person as ``client_id`` (itself included)."""
    person = resolve(client_id)
    members = set(db.session.scalars(select(PersonKey.client_id).where(PersonKey.person_id == person)))
    return sorted(members | {client_id})


def _neighbours(ids: set[int]) -> set[int]:
    """Clients joined to ``ids`` by an active merge or a link."""
    found: set[int] = set()
    id_list = list(ids)
    for start in range(0, len(id_list), 500):
        chunk = id_list[start:start + 500]
        for a, b in db.session.execute(select(ClientLink.client_a_id, ClientLink.client_b_id).where(
                or_(ClientLink.client_a_id.in_(chunk), ClientLink.client_b_id.in_(chunk)))):
            found.update((a, b))
        for a, b in db.session.execute(select(ClientMerge.survivor_id, ClientMerge.merged_id).where(
                ClientMerge.status == "active",
                or_(ClientMerge.survivor_id.in_(chunk), ClientMerge.merged_id.in_(chunk)))):
            found.update((a, b))
    return found - ids


def refresh(client_ids: Iterable[int]) -> dict[int, int]:
    """Recompute the person of every group touching ``client_ids`` (before or after a change);
    returns ``{client_id: person_id}`` for the clients in groups. Flushes, does not commit."""
    db.session.flush()
    seeds = set(client_ids)
    # The groups these clients were in before the change (an unlink or undo may split one).
    old_people = set(db.session.scalars(select(PersonKey.person_id).where(PersonKey.client_id.in_(seeds))))
    if old_people:
        seeds |= set(db.session.scalars(select(PersonKey.client_id).where(PersonKey.person_id.in_(old_people))))
    # Walk merges and links from the seeds: every connected client is in scope.
    scope, frontier = set(seeds), set(seeds)
    while frontier:
        frontier = _neighbours(scope) - scope
        scope |= frontier
    merged_away = set(db.session.scalars(select(ClientMerge.merged_id).where(
        ClientMerge.status == "active", ClientMerge.merged_id.in_(scope))))
    mapping: dict[int, int] = {}
    for component in _components(scope):
        if len(component) < 2:
            continue
        survivors = [c for c in component if c not in merged_away] or list(component)
        person = min(survivors)
        mapping.update({c: person for c in component})
    db.session.execute(delete(PersonKey).where(PersonKey.client_id.in_(scope)))
    if mapping:
        db.session.execute(insert(PersonKey), [{"client_id": c, "person_id": p} for c, p in sorted(mapping.items())])
    return mapping


def _components(scope: set[int]) -> list[set[int]]:
    """Connected groups of ``scope`` under merges and links (union-find)."""
    parent = {c: c for c in scope}

    def root(c: int) -> int:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    edges = list(db.session.execute(select(ClientLink.client_a_id, ClientLink.client_b_id).where(
        ClientLink.client_a_id.in_(scope))))
    edges += list(db.session.execute(select(ClientMerge.survivor_id, ClientMerge.merged_id).where(
        ClientMerge.status == "active", ClientMerge.survivor_id.in_(scope))))
    for a, b in edges:
        if a in parent and b in parent:
            parent[root(a)] = root(b)
    groups: dict[int, set[int]] = {}
    for c in scope:
        groups.setdefault(root(c), set()).add(c)
    return list(groups.values())
