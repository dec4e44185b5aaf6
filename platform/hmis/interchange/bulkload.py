"""Merge a large batch into a HUD table the way pg_restore loads one (PostgreSQL only).

Inserting rows one by one into an indexed table costs a btree descent per index
and a foreign-key trigger query per reference, for every row; on HUD's sample
that is most of the import. When the batch is large next to what the table
already holds, it is cheaper to drop the table's secondary indexes and foreign
keys, insert, then build each index with one sort and check each foreign key
with one join.

The importer drops them before the table's merge and builds them all again once
every file is in (after any SSN sealing, which may rewrite each client row). All of
it runs inside the import's own transaction: if anything fails, the rollback
restores the indexes and constraints with the data, and no other session ever
sees a table without them. The importer's checks already keep out rows that
would break a constraint; the rebuilt ones are a backstop.

The price is the lock. DROP INDEX and ALTER TABLE take an ACCESS EXCLUSIVE lock
on the table (and dropping or adding a foreign key a SHARE ROW EXCLUSIVE lock on
the table it points to), held until the import commits: until then nobody can
read the table, nor write the tables it points to. That is fine for a CoC moving
in from its old vendor and wrong for a handful of rows on a live system, hence
the thresholds below; and only an import that runs alone takes this path (see
``Importer.run``), so two imports never wait on each other's DDL in a cycle.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

#: A batch below this many rows takes the row-by-row path whatever the table holds:
#: rebuilding saves little there, and the lock would be taken for nothing.
MIN_ROWS = 5000
#: ... and so does a batch adding less than this share of the rows the table holds
#: already: rebuilding costs about as much per row the table holds once the batch is
#: in as the row-by-row insert saves per new row. Measured on HUD's sample loaded
#: 0, 1 and 2 times (server CPU of merge plus rebuild, bulk vs row by row):
#: 2.1 vs 4.3 s, 2.9 vs 4.5 s, 4.5 vs 4.7 s; even at about 40%. A half keeps the
#: table-wide lock for batches where the saving is clear.
MIN_SHARE = 0.5


def worth_it(connection: Connection, table: str, batch_rows: int) -> bool:
    """True when ``batch_rows`` new rows are enough to make rebuilding ``table``'s indexes pay."""
    if connection.dialect.name != "postgresql" or batch_rows < MIN_ROWS:
        return False
    # Count at most as far as the answer needs: the table may hold millions of rows.
    enough = int(batch_rows / MIN_SHARE) + 1
    stored = connection.exec_driver_sql(
        f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT {enough}) AS t").scalar_one()
    return batch_rows >= stored * MIN_SHARE


class RebuildFailed(Exception):
    """A foreign key or unique constraint does not hold for the loaded rows."""

    def __init__(self, table: str, constraint: str, detail: str):
        super().__init__(f"{table}: constraint {constraint} does not hold after the load: {detail}")
        self.table, self.constraint, self.detail = table, constraint, detail


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Deferred:
    """What was dropped from one table, as the catalog defined it, to be built again."""

    table: str
    uniques: list[tuple[str, str]] = field(default_factory=list)  #: (name, definition)
    indexes: list[tuple[str, str]] = field(default_factory=list)  #: (name, CREATE INDEX ...)
    foreign_keys: list[tuple[str, str]] = field(default_factory=list)  #: (name, definition)


def read_deferrable(connection: Connection, table: str, keep_unique: bool) -> Deferred:
    """The table's foreign keys, its plain indexes and (unless kept) its unique constraints no key points at.

    The primary key stays (rows arrive in its order: cheap to maintain, and other
    tables point at it), so do unique constraints another table's foreign key needs,
    and, when ``keep_unique``, all unique constraints (``ON CONFLICT`` needs them).
    """
    deferred = Deferred(table)
    rows = connection.execute(text(
        "SELECT c.conname, c.contype, pg_get_constraintdef(c.oid) FROM pg_constraint AS c "
        "WHERE c.conrelid = CAST(:table AS regclass) AND (c.contype = 'f' OR (c.contype = 'u' AND NOT :keep "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint AS r WHERE r.contype = 'f' AND r.conindid = c.conindid))) "
        "ORDER BY c.conname"), {"table": table, "keep": keep_unique}).all()
    for name, kind, definition in rows:
        (deferred.foreign_keys if kind == "f" else deferred.uniques).append((name, definition))
    # Indexes no constraint rests on, here or in a table pointing at this one (those go with
    # their constraint, or stay); unique ones stay too when ON CONFLICT may need them, and
    # so does one marked for CLUSTER or replica identity (CREATE INDEX would not mark it again).
    deferred.indexes = [tuple(row) for row in connection.execute(text(
        "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index AS x JOIN pg_class AS i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = CAST(:table AS regclass) AND NOT (x.indisunique AND :keep) "
        "AND NOT x.indisclustered AND NOT x.indisreplident "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = x.indexrelid) "
        "ORDER BY i.relname"), {"table": table, "keep": keep_unique}).all()]
    return deferred


def drop(connection: Connection, deferred: Deferred) -> None:
    table = _quoted(deferred.table)
    constraints = deferred.foreign_keys + deferred.uniques
    if constraints:
        connection.exec_driver_sql(
            f"ALTER TABLE {table} " + ", ".join(f"DROP CONSTRAINT {_quoted(name)}" for name, _ in constraints))
    if deferred.indexes:
        connection.exec_driver_sql("DROP INDEX " + ", ".join(_quoted(name) for name, _ in deferred.indexes))


def rebuild(connection: Connection, deferred: Deferred, indexes: bool = True) -> None:
    """Check the constraints again (one scan or join each) and build the indexes (one sort each).

    Raises :class:`RebuildFailed` naming the constraint the loaded rows break; the
    caller's transaction is then unusable and must be rolled back. ``indexes=False``
    only checks the constraints (for a transaction that will be rolled back anyway).
    """
    table = _quoted(deferred.table)
    for name, definition in deferred.uniques + deferred.foreign_keys:
        try:
            connection.exec_driver_sql(f"ALTER TABLE {table} ADD CONSTRAINT {_quoted(name)} {definition}")
        except IntegrityError as exc:
            detail = getattr(getattr(exc.orig, "diag", None), "message_detail", None) or str(exc.orig)
            raise RebuildFailed(deferred.table, name, detail) from exc
    for _, definition in deferred.indexes if indexes else ():
        connection.exec_driver_sql(definition)

