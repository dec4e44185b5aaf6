"""Every table's cells in as few scans of the run's universe table as the databases allow.

A batch of tables is one ``SELECT``::

    SELECT count(*) FILTER (WHERE f0 AND f3 AND f7), ...      -- one aggregate per cell
    FROM (SELECT person_key, ..., <rule> AS f0, ... FROM universe OFFSET 0) AS cells

The inner query works out each distinct rule of the batch once per row, and a rule that
several tables share (a household-type column, a table filter) once for all of them.
``OFFSET 0`` keeps PostgreSQL and SQLite from folding the inner query into the aggregates,
which would work each rule out again in every cell that reads it. A batch stays under the
databases' limits on the columns of one ``SELECT`` (PostgreSQL 1,664, SQLite 2,000), so the
APR's tables take a few scans instead of one each. Medians are aggregates of the batch on
PostgreSQL, one small query per cell on SQLite (it has no percentile function).

On PostgreSQL, when a report counts one row per person, the rows of a long code list (a
table's ``group:`` rows, ``(destination) = 101``...) are counted apart, in one more scan for
all tables: the counted cells of one code list in one table become one grouping set over
the rules they read (a column's code list, such as the household type, as one key)::

    SELECT k0, k1, k2, ..., count(*) FROM (SELECT <where> AS k0, destination AS k1,
        household_type AS k2, ... FROM universe OFFSET 0) AS grouped
    GROUP BY GROUPING SETS ((k0, k1, k2), (k3, k1, k2), ...)

and a cell is the sum of the counts of its set's groups where its rules hold. A set's hash
look-up per row costs about what 25 aggregates do, so only code lists with many cells go
there (Q23c's destinations: 130 cells, one set); on a 200,000-client CoC the APR's 16 sets
took ~900 aggregates out of the scans (cells: 3.3 -> 2.9 s of database CPU).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from .definition import Measure, Table

if TYPE_CHECKING:  # the engine passes itself in; importing it here would be circular
    from .engine import ReportEngine, _Parts

__all__ = ["MAX_COLUMNS", "MIN_GROUPED_CELLS", "run_tables"]

#: Rules, and separately aggregates, per batch: well under both databases' column limits.
MAX_COLUMNS = 1000
#: The cells of one code list in a table go to the grouping sets only when there are this many:
#: a grouping set costs a hash look-up per row, many times an aggregate's cost.
MIN_GROUPED_CELLS = 20
#: ``work_mem`` while the grouping sets run (see :func:`_hashed_only`).
GROUPING_WORK_MEM = "256MB"
#: The measures whose cells are sums of groups' counts (with one row per person each count is ``count(*)``).
_GROUPABLE = ("persons", "households", "enrollments", "percent")


@dataclass
class _Planned:
    """One table's non-blank cells with their rules, before any SQL is built."""

    table: Table
    cells: list[tuple[int, int, _Parts]]
    keys: set[Any]
    outputs: int
    #: the cells counted by the grouping sets instead (:func:`_run_grouped`), one list per code list
    grouped: list[list[tuple[int, int, _Parts]]] = field(default_factory=list)


@dataclass
class _Batch:
    tables: list[_Planned] = field(default_factory=list)
    keys: set[Any] = field(default_factory=set)
    outputs: int = 0

    def fits(self, planned: _Planned) -> bool:
        return not self.tables or (len(self.keys | planned.keys) <= MAX_COLUMNS
                                   and self.outputs + planned.outputs <= MAX_COLUMNS)

    def add(self, planned: _Planned) -> None:
        self.tables.append(planned)
        self.keys |= planned.keys
        self.outputs += planned.outputs


def _rules(parts: _Parts) -> list[tuple[Any, Callable[[], ColumnElement[Any]]]]:
    return [part for part in (parts.where, parts.row, parts.column, parts.of, parts.value) if part is not None]


def _plan(engine: ReportEngine, table: Table) -> _Planned:
    every = [(r, c, engine.parts(table, row, column))
             for r, row in enumerate(table.rows) for c, column in enumerate(table.columns)
             if not table.is_blank(row, column)]
    by_code_list: dict[Any, list[tuple[int, int, _Parts]]] = {}
    for cell in every:
        if engine.grouped_cells and _groupable(cell[2]):
            by_code_list.setdefault(cell[2].row_group[0], []).append(cell)  # type: ignore[index]
    grouped = [found for found in by_code_list.values() if len(found) >= MIN_GROUPED_CELLS]
    apart = {(r, c) for found in grouped for r, c, _ in found}
    cells = [cell for cell in every if cell[:2] not in apart]
    keys, outputs = set(), 0
    for _, _, parts in cells:
        keys |= {key for key, _ in _rules(parts)}
        outputs += {"percent": 2, "median": 1 if engine.medians_in_batch else 0}.get(parts.measure.kind, 1)
    return _Planned(table, cells, keys, outputs, grouped)


def _groupable(parts: _Parts) -> bool:
    """A count of a code list's row: a sum of the counts of groups by the code."""
    return parts.measure.kind in _GROUPABLE and parts.row_group is not None


def _batches(planned_tables: list[_Planned]) -> Iterator[_Batch]:
    batch = _Batch()
    for planned in planned_tables:
        if not batch.fits(planned):
            yield batch
            batch = _Batch()
        batch.add(planned)
    if batch.tables:
        yield batch


def run_tables(engine: ReportEngine, connection: sa.Connection, tables: list[Table],
               progress: Callable[[Table], None] | None = None) -> dict[str, dict[str, Any]]:
    """The results of ``tables`` over the engine's bound universe, by table id."""
    results: dict[str, dict[str, Any]] = {}
    planned_tables = [_plan(engine, table) for table in tables]
    if progress and planned_tables:
        progress(planned_tables[0].table)  # the universe is written: the cells start here
    grouped = _run_grouped(engine, connection, planned_tables)
    for index, batch in enumerate(_batches(planned_tables)):
        if progress and index:
            progress(batch.tables[0].table)
        results.update(_run_batch(engine, connection, batch, grouped))
    return results


def _run_batch(engine: ReportEngine, connection: sa.Connection, batch: _Batch,
               grouped: dict[tuple[str, int, int], Any]) -> dict[str, dict[str, Any]]:
    from .engine import CellPredicate, _fraction, _number  # the engine's own number formats

    flags: dict[Any, str] = {}
    flag_columns: list[ColumnElement[Any]] = []

    def flag(part: tuple[Any, Callable[[], ColumnElement[Any]]] | None) -> str | None:
        if part is None:
            return None
        key, build = part
        if key not in flags:
            flags[key] = f"f{len(flags)}"
            flag_columns.append(build().label(flags[key]))
        return flags[key]

    named = [(planned, [(r, c, parts, {"where": flag(parts.where), "row": flag(parts.row),
                                       "column": flag(parts.column), "of": flag(parts.of),
                                       "value": flag(parts.value)})
                        for r, c, parts in planned.cells])
             for planned in batch.tables]
    base = engine.source.c
    inner = (sa.select(base.person_key, base.relationship_to_hoh, base.enrollment_pk, *flag_columns)
             .select_from(engine.source).offset(0).subquery("cells"))
    f = inner.c
    select_list: list[ColumnElement[Any]] = []
    for planned, cells in named:
        for r, c, parts, names in cells:
            where, row_condition, column_condition = f[names["where"]], f[names["row"]], f[names["column"]]
            condition = sa.and_(where, row_condition, column_condition)
            if names["of"]:
                of = f[names["of"]]
                kept = {"table": sa.true(), "row": row_condition, "column": column_condition}[parts.measure.within]
                predicate = CellPredicate(sa.and_(condition, of), parts.measure, sa.and_(where, of, kept))
            else:
                predicate = CellPredicate(condition, parts.measure,
                                          value=f[names["value"]] if names["value"] else None)
            select_list += engine.aggregates(predicate, inner)
    values: list[Any] = []
    if select_list:
        # compiled once and never again: SQLAlchemy's statement cache would only add a key as big as the query
        values = list(connection.execution_options(compiled_cache=None)
                      .execute(sa.select(*select_list).select_from(inner)).one())
    position = 0
    results: dict[str, dict[str, Any]] = {}
    for planned, cells in named:
        table = planned.table
        grid: list[list[Any]] = [[None] * len(table.columns) for _ in table.rows]
        percent_cells = set()
        for r, c, parts in (cell for found in planned.grouped for cell in found):
            grid[r][c] = grouped[table.id, r, c]
            if parts.measure.kind == "percent":
                percent_cells.add((r, c))
        for r, c, parts, _ in cells:
            kind = parts.measure.kind
            if kind == "median" and not engine.medians_in_batch:
                # over the universe table itself: the batch's inner query carries every rule of the batch
                median = engine.median(engine.cell(table, table.rows[r], table.columns[c]))
                grid[r][c] = _finished(connection.execute(median).scalar(), parts.measure, _number)
            elif kind == "percent":
                grid[r][c] = _fraction(values[position], values[position + 1])
                percent_cells.add((r, c))
                position += 2
            else:
                grid[r][c] = _finished(values[position], parts.measure, _number)
                position += 1
        results[table.id] = {
            "id": table.id, "title": table.title, "description": table.description,
            "columns": [column.label for column in table.columns],
            "rows": [{"label": row.label, "header": row.header, "cells": grid[r],
                      "percent": [(r, c) in percent_cells for c in range(len(table.columns))]}
                     for r, row in enumerate(table.rows)],
        }
    return results


def _finished(value: Any, measure: Measure, default: Callable[[Any], Any]) -> Any:
    """A value cell as written: rounded as its measure asks (``decimals``), else the engine's default."""
    return default(value) if measure.decimals is None else measure.rounded(value)


# ------------------------------------------------------------ grouped code lists
#: One term of a cell's rule over a grouping set's keys: the key's label and the value it must have
#: (``True`` for a yes/no rule, a code for a code list's expression).
_Term = tuple[str, Any]


class _GroupKeys:
    """The grouping sets' key columns, each distinct rule or code-list expression once."""

    def __init__(self) -> None:
        self.labels: dict[Any, str] = {}
        self.columns: list[ColumnElement[Any]] = []

    def term(self, part: tuple[Any, Callable[[], ColumnElement[Any]]], wanted: Any = True) -> _Term:
        key, build = part[0], part[1]
        if key not in self.labels:
            self.labels[key] = f"k{len(self.labels)}"
            self.columns.append(build().label(self.labels[key]))
        return self.labels[key], wanted


def _terms(keys: _GroupKeys, engine: ReportEngine, parts: _Parts) -> tuple[list[_Term], list[_Term] | None]:
    """A grouped cell's rules as terms: what it counts, and for a percentage its denominator."""
    where = [keys.term(parts.where)]
    row = _axis_term(keys, parts.row, parts.row_group)
    column = _axis_term(keys, parts.column, parts.column_group)
    unit = parts.measure.unit if parts.measure.kind == "percent" else parts.measure.kind
    if unit == "households":
        where.append(keys.term((("head of household",), lambda: _is_head(engine))))
    if parts.of is None:
        return where + row + column, None
    of = [keys.term(parts.of)]
    kept = {"table": [], "row": row, "column": column}[parts.measure.within]
    return where + row + column + of, where + of + kept


def _axis_term(keys: _GroupKeys, rule: tuple[Any, Callable[[], ColumnElement[Any]]],
               group: tuple[Any, Callable[[], ColumnElement[Any]], Any] | None) -> list[_Term]:
    """A row's or column's rule: its code list's expression equals the code, or its yes/no rule holds
    (none for an axis without one, such as a Total column: its key is ``("condition", None, ...)``)."""
    if group is not None:
        return [keys.term(group[:2], group[2])]
    return [] if rule[0][1] is None else [keys.term(rule)]


def _is_head(engine: ReportEngine) -> ColumnElement[bool]:
    return sa.func.coalesce(engine.source.c.relationship_to_hoh == 1, sa.false())


def _run_grouped(engine: ReportEngine, connection: sa.Connection,
                 planned_tables: list[_Planned]) -> dict[tuple[str, int, int], Any]:
    """Every grouped cell's value by (table id, row, column), from one GROUPING SETS query: one
    set per table and code list (the union of its cells' keys; tables with the same keys share one)."""
    from .engine import _fraction

    keys = _GroupKeys()
    wanted: list[tuple[str, int, int, frozenset[str], list[_Term], list[_Term] | None]] = []
    for planned in planned_tables:
        for cells in planned.grouped:
            found = [(r, c, *_terms(keys, engine, parts)) for r, c, parts in cells]
            labels = frozenset(label for _, _, counted, of in found for label, _ in counted + (of or []))
            wanted += [(planned.table.id, r, c, labels, counted, of) for r, c, counted, of in found]
    if not wanted:
        return {}
    groups = _groups(engine, connection, keys, {labels for _, _, _, labels, _, _ in wanted})

    def counted(labels: frozenset[str], terms: list[_Term]) -> int:
        return sum(count for values, count in groups[labels] if all(_holds(values[name], value) for name, value in terms))

    results: dict[tuple[str, int, int], Any] = {}
    for table_id, r, c, labels, terms, of in wanted:
        number = counted(labels, terms)
        results[table_id, r, c] = number if of is None else _fraction(number, counted(labels, of))
    return results


def _groups(engine: ReportEngine, connection: sa.Connection, keys: _GroupKeys,
            sets: set[frozenset[str]]) -> dict[frozenset[str], list[tuple[dict[str, Any], int]]]:
    """Each grouping set's groups (their keys' values by label) and counts, from one scan of the universe."""
    inner = sa.select(*keys.columns).select_from(engine.source).offset(0).subquery("grouped")
    g = inner.c
    names = list(keys.labels.values())
    ordered = sorted(sets, key=sorted)  # the same SQL for the same sets, run after run
    query = (sa.select(*[g[name] for name in names], *[sa.func.grouping(g[name]) for name in names], sa.func.count())
             .group_by(sa.func.grouping_sets(*[sa.tuple_(*[g[name] for name in sorted(labels)]) for labels in ordered])))
    groups: dict[frozenset[str], list[tuple[dict[str, Any], int]]] = {labels: [] for labels in sets}
    with _hashed_only(connection):
        found = connection.execution_options(compiled_cache=None).execute(query).all()
    for row in found:
        values, absent, count = row[:len(names)], row[len(names):-1], row[-1]
        # GROUPING() is 1 for a key the row's set does not group by: that names the set
        labels = frozenset(name for name, out in zip(names, absent) if not out)
        groups[labels].append((dict(zip(names, values)), count))
    return groups


@contextmanager
def _hashed_only(connection: sa.Connection) -> Iterator[None]:
    """Every grouping set hashed in the one scan. PostgreSQL cannot tell how many groups a code list
    makes (it guesses 200 per expression) and, fearing its hash tables will not fit in ``work_mem``,
    sorts the universe for some sets instead (57 sets on a 200,000-client CoC: 8 s, not 0.6 s). The
    setting only moves that guess: the tables hold the real groups, a few thousand (~8 MB)."""
    work_mem = connection.exec_driver_sql("SHOW work_mem").scalar_one()
    connection.exec_driver_sql(f"SET LOCAL work_mem = '{GROUPING_WORK_MEM}'")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"SET LOCAL work_mem = '{work_mem}'")


def _holds(found: Any, wanted: Any) -> bool:
    """A group's key against a term: a yes/no rule is true, or the code list's expression equals the
    code (SQL's ``=``: never for null)."""
    return found is True if wanted is True else found is not None and found == wanted
