"""Where client records are referred to, found from the table metadata at merge time.

A merge moves every row that belongs to the merged-away client. Rather than a fixed
list, the tables are read from the metadata, so a table another room adds later (a
consent, a form response) is covered the day it exists:

- a foreign key to ``client.id`` (``consent.client_id``): the surrogate id moves;
- a foreign key to ``client(data_source_id, personal_id)`` (``enrollment``), or a HUD
  record table carrying ``data_source_id`` + ``personal_id`` (exits, services,
  assessments, ... point at their enrollment but repeat the PersonalID): the PersonalID
  moves, within the one data source;
- custom data values attached to a client (``owner_type = 'client'``, no foreign key).

The identity room's own bookkeeping tables (queue, merges, links, person keys) are not moved.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Table, inspect

from ..extensions import db

#: Tables that record decisions about clients rather than belong to one.
#: ``client_ssn`` is a column of the client kept apart (encrypted): it stays with its client and
#: is chosen field by field like the others (``hmis.identity.merge``).
BOOKKEEPING = frozenset({"client", "duplicate_candidate", "not_duplicate", "client_link", "client_merge", "person_key",
                         "client_ssn"})


@dataclass(frozen=True)
class Reference:
    """One column of one table that names a client."""

    table: Table
    column: str
    kind: str  #: "id" (holds client.id) or "personal_id" (holds PersonalID within data_source_id)
    where: tuple = field(default=(), compare=False)  #: extra conditions (polymorphic owners)

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.column}"


def client_references() -> list[Reference]:
    """Every place a client is referred to, in a stable order (parents before children).

    Only tables the database has: a room whose migration is not applied yet has nothing to move.
    """
    existing = set(inspect(db.session.connection()).get_table_names())
    found: dict[tuple[str, str], Reference] = {}
    for table in db.metadata.sorted_tables:
        if table.name in BOOKKEEPING or table.name not in existing:
            continue
        for fk in table.foreign_key_constraints:
            if fk.referred_table.name != "client":
                continue
            targets = {element.column.name: element.parent.name for element in fk.elements}
            if set(targets) == {"id"}:
                found[(table.name, targets["id"])] = Reference(table, targets["id"], "id")
            elif "personal_id" in targets:
                found[(table.name, targets["personal_id"])] = Reference(table, targets["personal_id"], "personal_id")
        if "personal_id" in table.c and "data_source_id" in table.c and (table.name, "personal_id") not in found:
            found[(table.name, "personal_id")] = Reference(table, "personal_id", "personal_id")
    custom = db.metadata.tables.get("custom_data_element_value")
    if custom is not None and custom.name in existing:
        found[(custom.name, "owner_id")] = Reference(custom, "owner_id", "id", (custom.c.owner_type == "client",))
    return list(found.values())


def unique_column_sets(reference: Reference) -> list[tuple[str, ...]]:
    """The other columns of each unique rule that includes the reference column: a row can
    only move when the survivor has no row with the same values there."""
    table, column = reference.table, reference.column
    sets: list[tuple[str, ...]] = []
    if table.c[column].unique:
        sets.append(())
    for constraint in table.constraints:
        names = [c.name for c in getattr(constraint, "columns", [])]
        if constraint.__class__.__name__ == "UniqueConstraint" and column in names:
            sets.append(tuple(n for n in names if n != column))
    for index in table.indexes:
        names = [c.name for c in index.columns]
        if index.unique and column in names:
            sets.append(tuple(n for n in names if n != column))
    return sets
