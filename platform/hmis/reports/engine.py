"""Run a report definition in the database: the universe once, then one query per table.

The universe ``SELECT`` (:mod:`hmis.reports.universe`, plus the definition's own
attributes) is written once into a temporary table, so its windows and look-ups run once
per run, not once per table. Each table is then a single ``SELECT``: an inner query works
out every distinct rule of the table once per row (as a yes/no column), and the outer one
has one aggregate per cell that only combines them::

    SUM(CASE WHEN <where> AND <row> AND <column> THEN 1 ELSE 0 END)      -- one row per person
    COUNT(DISTINCT CASE WHEN ... THEN person_key END)                    -- one row per stay

Medians are one small windowed query per cell (SQLite has no percentile function).
Only the per-cell numbers leave the database. Drill-down compiles the same rules over
the universe as a CTE and lists the rows behind one cell.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ClauseElement, ColumnElement
from sqlalchemy.sql.expression import Executable

from ..expressions import check, parse, references, to_sql
from . import library
from .definition import Axis, Measure, ReportDefinition, Table
from .parameters import ReportParameters
from .universe import build_universe

__all__ = ["CellPredicate", "ReportEngine", "run_report"]

Progress = Callable[[int, str], None]


class _CreateTempTableAs(Executable, ClauseElement):
    """``CREATE TEMPORARY TABLE name AS SELECT ...`` with the select's parameters bound as usual."""

    inherit_cache = False

    def __init__(self, name: str, query: sa.Select[Any]) -> None:
        self.name = name
        self.query = query


@compiles(_CreateTempTableAs)
def _compile_create(element: _CreateTempTableAs, compiler: Any, **kw: Any) -> str:
    return f"CREATE TEMPORARY TABLE {element.name} AS {compiler.process(element.query, **kw)}"


@dataclass(frozen=True)
class _Parts:
    """A cell's rules as (sharing key, builder) pairs; see :meth:`ReportEngine.parts`."""

    measure: Measure
    where: tuple[Any, Callable[[], ColumnElement[Any]]]
    row: tuple[Any, Callable[[], ColumnElement[Any]]]
    column: tuple[Any, Callable[[], ColumnElement[Any]]]
    of: tuple[Any, Callable[[], ColumnElement[Any]]] | None
    value: tuple[Any, Callable[[], ColumnElement[Any]]] | None


@dataclass(frozen=True)
class CellPredicate:
    """Which universe rows one cell is about, and how it is measured."""

    condition: ColumnElement[bool]
    measure: Measure
    denominator: ColumnElement[bool] | None = None
    value: ColumnElement[Any] | None = None  #: sum, average, median: what is added up


class ReportEngine:
    """Compiles one definition for one set of parameters on one connection's dialect."""

    def __init__(self, definition: ReportDefinition, params: ReportParameters, dialect: str) -> None:
        self.definition = definition
        self.params = params
        self.dialect = dialect
        self.universe = build_universe(params, dialect, definition.library_names_used(),
                                       latest_per_person=definition.latest_per_person)
        self.columns: dict[str, Any] = {}
        self.select, self.names, self.types = self._with_attributes()

    def _with_attributes(self) -> tuple[sa.Select[Any], tuple[str, ...], dict[str, Any]]:
        """The universe plus the definition's own attributes as columns, so each is worked out once
        per row when the universe is written, not once per cell that reads it.

        Attributes that read other attributes go in a later layer and read those as columns:
        inlining them instead would repeat every rule inside each rule that uses it.
        """
        kinds = dict(library.names())
        types = {name: _type_of(name) for name in self.universe.names}
        own = dict(self.definition.attributes)
        level: dict[str, int] = {}
        for name, text in self.definition.attributes:  # definition order: what a rule reads comes first
            level[name] = 1 + max((level[ref] for ref in references(parse(text)) if ref in own), default=0)
            kinds[name] = check(parse(text), kinds)
            types[name] = _SQL_TYPES.get(kinds[name].name, sa.String())
        current = self.universe.select.subquery("universe")
        names = list(self.universe.names)
        for depth in sorted(set(level.values())):
            columns = {name: current.c[name] for name in names}
            columns.update(self._parameters())
            added = [self.compile(text, columns=columns, source=f"attribute '{name}'").label(name)
                     for name, text in self.definition.attributes if level[name] == depth]
            current = sa.select(*current.c, *added).subquery(f"universe_{depth}")
            names += [column.name for column in added]
        return sa.select(*current.c), tuple(names), types

    def _parameters(self) -> dict[str, Any]:
        return {"report.start": sa.literal(self.params.start, sa.Date),
                "report.end": sa.literal(self.params.end, sa.Date)}

    # ------------------------------------------------------------ compiling
    def bind(self, source: Any) -> None:
        """Point every name at ``source``: the temporary table of a run, or a CTE for drill-down."""
        self.source = source
        self.columns = {name: source.c[name] for name in self.names}
        self.columns.update(self._parameters())

    def compile(self, text: str | None, *, columns: dict[str, Any] | None = None, source: str = "",
                expect: str | None = None) -> ColumnElement[Any]:
        if text is None:
            return sa.true()
        # Grouped: an attribute is used inside other rules, and ``not attribute`` must negate all of it.
        return to_sql(text, columns or self.columns, self.dialect, today=self.params.end,
                      source=f"report '{self.definition.key}', {source}", expect=expect).self_group()

    def condition(self, text: str | None, source: str, columns: dict[str, Any] | None = None) -> ColumnElement[bool]:
        """A rule as a filter: it holds only when true (null counts as false)."""
        if text is None:
            return sa.true()
        return sa.func.coalesce(self.compile(text, columns=columns, source=source, expect="yes/no"), sa.false())

    def parts(self, table: Table, row: Axis, column: Axis) -> _Parts:
        """A cell's rules, each under a key that is the same for every cell sharing it (the table's
        filter, a row's rule under the same column bindings...), built only when first needed."""
        where_here = f"table {table.id}, row '{row.label}', column '{column.label}'"
        used = tuple(self._bindings_used(table, row, column))
        bindings = dict((*column.bindings, *row.bindings))

        def reads(text: str | None) -> tuple[tuple[str, str], ...]:
            # the bindings one rule reads, so that cells sharing the rule share its flag
            return tuple(self._bindings_read([text], bindings))

        cache: dict[str, dict[str, Any]] = {}

        def columns() -> dict[str, Any]:
            if "columns" not in cache:
                found = dict(self.columns)
                for name, text in used:
                    found[name] = self.compile(text, columns=found, source=f"{where_here}, '{name}'")
                cache["columns"] = found
            return cache["columns"]

        measure = table.measure_for(row, column)
        where = (("where", table.id), lambda: sa.and_(self.condition(self.definition.where, "universe"),
                                                      self.condition(table.where, f"table {table.id}")))
        row_part = (("row", id(row), reads(row.when)),
                    lambda: self.condition(row.when, f"table {table.id}, row '{row.label}'", columns()))
        column_part = (("column", id(column), reads(column.when)),
                       lambda: self.condition(column.when, f"table {table.id}, column '{column.label}'", columns()))
        value = of = None
        if measure.kind in ("sum", "average", "median"):
            value = (("value", measure.expression, reads(measure.expression)),
                     lambda: self.compile(measure.expression, columns=columns(), source=f"{where_here}, {measure.kind}"))
        elif measure.kind == "percent":
            of = (("of", measure.expression, reads(measure.expression)),
                  lambda: self.condition(measure.expression, f"{where_here}, percentage", columns()))
        return _Parts(measure, where, row_part, column_part, of, value)

    def cell(self, table: Table, row: Axis, column: Axis) -> CellPredicate:
        """The cell's rules composed over the universe (drill-down)."""
        parts = self.parts(table, row, column)
        where, row_condition, column_condition = parts.where[1](), parts.row[1](), parts.column[1]()
        condition = sa.and_(where, row_condition, column_condition)
        if parts.value is not None:
            return CellPredicate(condition, parts.measure, value=parts.value[1]())
        if parts.of is None:
            return CellPredicate(condition, parts.measure)
        of = parts.of[1]()
        kept = {"table": sa.true(), "row": row_condition, "column": column_condition}[parts.measure.within]
        return CellPredicate(sa.and_(condition, of), parts.measure, sa.and_(where, of, kept))

    @classmethod
    def _bindings_used(cls, table: Table, row: Axis, column: Axis) -> list[tuple[str, str]]:
        """The axes' bindings this cell's rules read (a column set may bind dozens of names)."""
        bindings = dict((*column.bindings, *row.bindings))
        return cls._bindings_read([row.when, column.when, table.measure_for(row, column).expression], bindings)

    @staticmethod
    def _bindings_read(texts: list[str | None], bindings: dict[str, str]) -> list[tuple[str, str]]:
        wanted: set[str] = set()
        pending = [name for text in texts if text for name in references(parse(text))]
        while pending:
            name = pending.pop()
            if name in bindings and name not in wanted:
                wanted.add(name)
                pending.extend(references(parse(bindings[name])))
        return [(name, text) for name, text in bindings.items() if name in wanted]

    def _counted(self, unit: str, condition: ColumnElement[bool], source: Any = None) -> ColumnElement[int]:
        c = (source if source is not None else self.source).c
        if self.definition.latest_per_person:
            # One row per person (their latest stay): distinct persons, their stays and HoH
            # households are plain row counts, which spares the database a sort per cell.
            if unit == "households":
                condition = sa.and_(condition, c.relationship_to_hoh == 1)
            return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)
        if unit == "households":
            value = sa.case((sa.and_(condition, c.relationship_to_hoh == 1), c.person_key))
        elif unit == "enrollments":
            value = sa.case((condition, c.enrollment_pk))
        else:
            value = sa.case((condition, c.person_key))
        return sa.func.count(sa.distinct(value))

    def aggregates(self, predicate: CellPredicate, source: Any = None) -> list[ColumnElement[Any]]:
        measure = predicate.measure
        if measure.kind in ("persons", "households", "enrollments"):
            return [self._counted(measure.kind, predicate.condition, source)]
        if measure.kind == "percent":
            return [self._counted(measure.unit, predicate.condition, source),
                    self._counted(measure.unit, predicate.denominator, source)]
        value = sa.case((predicate.condition, predicate.value))
        if measure.kind == "sum":
            return [sa.func.coalesce(sa.func.sum(value), 0)]
        if measure.kind == "average":
            return [sa.func.avg(value)]
        return []  # median: its own query

    def median(self, predicate: CellPredicate, source: Any = None) -> Any:
        value = predicate.value.label("v")
        ranked = (sa.select(value,
                            sa.func.row_number().over(order_by=value).label("n"),
                            sa.func.count().over().label("total"))
                  .select_from(source if source is not None else self.source)
                  .where(predicate.condition, value.is_not(None)).subquery())
        middle = sa.select(sa.func.avg(ranked.c.v)).where(
            ranked.c.n.in_([(ranked.c.total + 1) // 2, (ranked.c.total + 2) // 2]))
        return middle

    # -------------------------------------------------------------- running
    def run(self, connection: sa.Connection, progress: Progress | None = None) -> dict[str, Any]:
        name = f"report_universe_{uuid.uuid4().hex[:12]}"
        prepare(connection)
        connection.execute(_CreateTempTableAs(name, self.select))
        if self.dialect == "postgresql":
            connection.exec_driver_sql(f"ANALYZE {name}")
        try:
            table = sa.table(name, *[sa.column(column_name, self.types[column_name]) for column_name in self.names])
            self.bind(table)
            total = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            results = []
            count = len(self.definition.tables)
            for index, report_table in enumerate(self.definition.tables):
                if progress:
                    progress(10 + int(85 * index / max(count, 1)), f"Table {report_table.id}")
                results.append(self.run_table(connection, report_table))
        finally:
            connection.exec_driver_sql(f"DROP TABLE {name}")
        return {"universe_rows": total, "tables": results}

    def run_table(self, connection: sa.Connection, table: Table) -> dict[str, Any]:
        """One table in one query: each distinct rule is worked out once per universe row (as a
        flag column of an inner query), and every cell only combines flags; a table of 40 rows and
        5 columns evaluates 45 rules per row, not 200 compositions of them."""
        flags: dict[Any, str] = {}
        flag_columns: list[ColumnElement[Any]] = []

        def flag(part: tuple[Any, Callable[[], ColumnElement[Any]]]) -> str:
            key, build = part
            if key not in flags:
                flags[key] = f"f{len(flags)}"
                flag_columns.append(build().label(flags[key]))
            return flags[key]

        planned: list[tuple[int, int, _Parts, dict[str, str | None]]] = []
        for r, row in enumerate(table.rows):
            for c, column in enumerate(table.columns):
                if table.is_blank(row, column):
                    continue
                parts = self.parts(table, row, column)
                names = {"where": flag(parts.where), "row": flag(parts.row), "column": flag(parts.column),
                         "of": flag(parts.of) if parts.of else None,
                         "value": flag(parts.value) if parts.value else None}
                planned.append((r, c, parts, names))
        base = self.source.c
        inner = sa.select(base.person_key, base.relationship_to_hoh, base.enrollment_pk, *flag_columns) \
            .select_from(self.source).subquery("cells")
        cells: list[tuple[int, int, CellPredicate]] = []
        select_list: list[ColumnElement[Any]] = []
        for r, c, parts, names in planned:
            f = inner.c
            where, row_condition, column_condition = f[names["where"]], f[names["row"]], f[names["column"]]
            condition = sa.and_(where, row_condition, column_condition)
            if names["of"]:
                of = f[names["of"]]
                kept = {"table": sa.true(), "row": row_condition, "column": column_condition}[parts.measure.within]
                predicate = CellPredicate(sa.and_(condition, of), parts.measure, sa.and_(where, of, kept))
            else:
                predicate = CellPredicate(condition, parts.measure,
                                          value=f[names["value"]] if names["value"] else None)
            cells.append((r, c, predicate))
            select_list += self.aggregates(predicate, inner)
        values: list[Any] = []
        if select_list:
            values = list(connection.execute(sa.select(*select_list).select_from(inner)).one())
        grid: list[list[Any]] = [[None] * len(table.columns) for _ in table.rows]
        percent_cells = {(r, c) for r, c, predicate in cells if predicate.measure.kind == "percent"}
        position = 0
        for r, c, predicate in cells:
            kind = predicate.measure.kind
            if kind == "median":
                grid[r][c] = _number(connection.execute(self.median(predicate, inner)).scalar())
            elif kind == "percent":
                numerator, denominator = values[position], values[position + 1]
                position += 2
                grid[r][c] = _fraction(numerator, denominator)
            else:
                grid[r][c] = _number(values[position])
                position += 1
        return {
            "id": table.id, "title": table.title, "description": table.description,
            "columns": [column.label for column in table.columns],
            "rows": [{"label": row.label, "header": row.header, "cells": grid[r],
                      "percent": [(r, c) in percent_cells for c in range(len(table.columns))]}
                     for r, row in enumerate(table.rows)],
        }

    def drilldown_query(self, table: Table, row_index: int, column_index: int) -> sa.Select[Any]:
        """The universe rows behind one cell (a query to run through the access policy)."""
        universe = self.select.cte("report_universe")
        self.bind(universe)
        row, column = table.rows[row_index], table.columns[column_index]
        predicate = self.cell(table, row, column)
        condition = predicate.condition
        unit = predicate.measure.unit if predicate.measure.kind == "percent" else predicate.measure.kind
        if unit == "households":
            condition = sa.and_(condition, universe.c.relationship_to_hoh == 1)
        return (sa.select(universe.c.client_pk, universe.c.enrollment_pk, universe.c.personal_id,
                          universe.c.enrollment_id, universe.c.project_id, universe.c.entry_date,
                          universe.c.exit_date, universe.c.household_type)
                .where(condition).order_by(universe.c.personal_id, universe.c.enrollment_pk))


def prepare(connection: sa.Connection) -> None:
    """Per-transaction settings for report SQL.

    PostgreSQL's JIT compiler judges the universe query by its estimated cost (high, for its
    many small look-ups) and spends ~9 s compiling expressions for a query that then runs in
    ~1 s on HUD's sample; reports are better off without it.
    """
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL jit = off")


_SQL_TYPES = {"yes/no": sa.Boolean(), "number": sa.Numeric(), "text": sa.String(), "date": sa.Date()}


def _type_of(name: str) -> Any:
    if name in library.DERIVED:
        return library.sql_type(name)
    kind = library.BASE[name]
    return {"yes/no": sa.Boolean(), "number": sa.Integer(), "text": sa.String(), "date": sa.Date()}[kind]


def _number(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    rounded = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return int(rounded) if rounded == rounded.to_integral_value() else float(rounded)


def _fraction(numerator: int, denominator: int) -> float | None:
    """HUD writes percentages as fractions with four decimals (7 of 9 -> 0.7778)."""
    if not denominator:
        return None
    return float((Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def run_report(definition: ReportDefinition, params: ReportParameters, connection: sa.Connection,
               progress: Progress | None = None) -> dict[str, Any]:
    """Run ``definition`` for ``params`` on ``connection``; the results as plain JSON data."""
    engine = ReportEngine(definition, params, connection.dialect.name)
    return engine.run(connection, progress)
