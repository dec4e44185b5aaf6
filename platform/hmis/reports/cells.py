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
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from .definition import Measure, Table

if TYPE_CHECKING:  # the engine passes itself in; importing it here would be circular
    from .engine import ReportEngine, _Parts

__all__ = ["MAX_COLUMNS", "run_tables"]

#: Rules, and separately aggregates, per batch: well under both databases' column limits.
MAX_COLUMNS = 1000


@dataclass
class _Planned:
    """One table's non-blank cells with their rules, before any SQL is built."""

    table: Table
    cells: list[tuple[int, int, _Parts]]
    keys: set[Any]
    outputs: int


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
    cells, keys, outputs = [], set(), 0
    for r, row in enumerate(table.rows):
        for c, column in enumerate(table.columns):
            if table.is_blank(row, column):
                continue
            parts = engine.parts(table, row, column)
            cells.append((r, c, parts))
            keys |= {key for key, _ in _rules(parts)}
            outputs += {"percent": 2, "median": 1 if engine.medians_in_batch else 0}.get(parts.measure.kind, 1)
    return _Planned(table, cells, keys, outputs)


def _batches(engine: ReportEngine, tables: list[Table]) -> Iterator[_Batch]:
    batch = _Batch()
    for table in tables:
        planned = _plan(engine, table)
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
    for batch in _batches(engine, tables):
        if progress:
            progress(batch.tables[0].table)
        results.update(_run_batch(engine, connection, batch))
    return results


def _run_batch(engine: ReportEngine, connection: sa.Connection, batch: _Batch) -> dict[str, dict[str, Any]]:
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
