"""Run a report definition in the database: the universe written once, then the cells in a few scans.

The universe (:mod:`hmis.reports.universe`, plus the definition's own attributes) is
written into temporary tables layer by layer (the stays, then each person's latest stay
with household facts, then every attribute), so each look-up runs once per row per run,
not once per table or per rule that reads it. The cells of all tables then come from a
few scans of that table (:mod:`hmis.reports.cells`): an inner query works out each
distinct rule once per row as a yes/no column, and the outer one has one aggregate per
cell that only combines them::

    count(*) FILTER (WHERE <where> AND <row> AND <column>)                -- one row per person
    count(DISTINCT person_key) FILTER (WHERE ...)                        -- one row per stay

Medians are two ``percentile_disc`` aggregates of those scans on PostgreSQL, and one small
windowed query per cell on SQLite (it has no percentile function).
Only the per-cell numbers leave the database. Drill-down compiles the same rules over
the universe as a CTE and lists the rows behind one cell.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ClauseElement, ColumnElement
from sqlalchemy.sql.expression import Executable

from ..expressions import Binary, ExpressionError, Literal, check, parse, references, to_sql, unparse
from . import library
from .cells import run_tables
from .definition import Axis, Measure, ReportDefinition, Table
from .parameters import ReportParameters
from .projects import project_table
from .universe import Universe, build_universe

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
    #: a row or column that is one value of a code list, ``(expr) = value``: the expression (sharing
    #: key, builder) and the value, so :mod:`hmis.reports.cells` can count all its values in one GROUP BY
    row_group: tuple[Any, Callable[[], ColumnElement[Any]], Any] | None = None
    column_group: tuple[Any, Callable[[], ColumnElement[Any]], Any] | None = None


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
        self.columns: dict[str, Any] = {}
        self._bound: dict[tuple[tuple[str, str], ...], dict[str, Any]] = {}
        # built by run() (with temporary tables) or drilldown_query() (one SELECT), whichever comes
        self.select: sa.Select[Any] = sa.select(sa.null())
        self.names: tuple[str, ...] = ()
        self.types: dict[str, Any] = {}
        #: medians as aggregates of the cell scans (:meth:`aggregates`), not a query each: PostgreSQL only.
        #: Each query re-read the wide universe table; the APR's 24 took ~1.2 s of a 200,000-client run.
        self.medians_in_batch = dialect == "postgresql"
        #: a code list's rows counted by one GROUPING SETS scan, not an aggregate per cell
        #: (:mod:`hmis.reports.cells`): PostgreSQL only (SQLite has no GROUPING SETS), and only with
        #: one row per person, where a cell is a plain row count and so a sum of its groups' counts.
        self.grouped_cells = dialect == "postgresql" and definition.latest_per_person

    def _build(self, prefix: str | None) -> Universe:
        """The universe and its ``SELECT`` with the definition's attributes; with ``prefix`` (a run) its
        first layers are steps to write into temporary tables, without (drill-down) one ``SELECT``."""
        universe = build_universe(self.params, self.dialect, self.definition.library_names_used(),
                                  latest_per_person=self.definition.latest_per_person, prefix=prefix,
                                  stay_rank=self.definition.person_stay_rank)
        self.select, self.names, self.types = self._with_attributes(universe)
        return universe

    def _with_attributes(self, universe: Universe) -> tuple[sa.Select[Any], tuple[str, ...], dict[str, Any]]:
        """The universe plus the definition's own attributes as columns, so each is worked out once
        per row when the universe is written, not once per cell that reads it.

        Attributes that read other attributes go in a later layer and read those as columns:
        inlining them instead would repeat every rule inside each rule that uses it. Each layer
        reads the one below through ``OFFSET 0``, which stops PostgreSQL and SQLite from folding
        it into the layer above (and so repeating the library's look-ups, such as a disability
        record, in every attribute that reads them).
        """
        kinds = dict(library.names())
        types = {name: _type_of(name) for name in universe.names}
        own = dict(self.definition.attributes)
        level: dict[str, int] = {}
        for name, text in self.definition.attributes:  # definition order: what a rule reads comes first
            level[name] = 1 + max((level[ref] for ref in references(parse(text)) if ref in own), default=0)
            kinds[name] = check(parse(text), kinds)
            types[name] = _SQL_TYPES.get(kinds[name].name, sa.String())
        current = universe.select.offset(0).subquery("universe")
        names = list(universe.names)
        for depth in sorted(set(level.values())):
            columns = {name: current.c[name] for name in names}
            columns.update(self._parameters())
            added = [self.compile(text, columns=columns, source=f"attribute '{name}'").label(name)
                     for name, text in self.definition.attributes if level[name] == depth]
            current = sa.select(*current.c, *added).offset(0).subquery(f"universe_{depth}")
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
        self._bound = {}  # compiled over the previous source

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
        filter, a row's rule under the same column bindings...), built only when first needed.

        A key is the rule's text and the bindings it reads, not the row or column it came from,
        so that cells of different tables share a rule they both use (the column sets)."""
        where_here = f"table {table.id}, row '{row.label}', column '{column.label}'"
        used = tuple(self._bindings_used(table, row, column))
        bindings = dict((*column.bindings, *row.bindings))

        def reads(text: str | None) -> tuple[tuple[str, str], ...]:
            # the bindings one rule reads, so that cells sharing the rule share its flag
            return tuple(self._bindings_read([text], bindings))

        def columns() -> dict[str, Any]:
            # the same bindings compile to the same columns: once per run, not once per cell
            if used not in self._bound:
                found = dict(self.columns)
                for name, text in used:
                    found[name] = self.compile(text, columns=found, source=f"{where_here}, '{name}'")
                self._bound[used] = found
            return self._bound[used]

        measure = table.measure_for(row, column)
        where = (("where", table.where), lambda: sa.and_(self.condition(self.definition.where, "universe"),
                                                      self.condition(table.where, f"table {table.id}")))
        row_part = (("condition", row.when, reads(row.when)),
                    lambda: self.condition(row.when, f"table {table.id}, row '{row.label}'", columns()))
        column_part = (("condition", column.when, reads(column.when)),
                       lambda: self.condition(column.when, f"table {table.id}, column '{column.label}'", columns()))
        value = of = None
        if measure.kind in ("sum", "average", "median"):
            value = (("value", measure.expression, reads(measure.expression)),
                     lambda: self.compile(measure.expression, columns=columns(), source=f"{where_here}, {measure.kind}"))
        elif measure.kind == "percent":
            of = (("condition", measure.expression, reads(measure.expression)),
                  lambda: self.condition(measure.expression, f"{where_here}, percentage", columns()))

        def group(axis: Axis, name: str) -> tuple[Any, Callable[[], ColumnElement[Any]], Any] | None:
            tested = _value_test(axis.when)
            if tested is None:
                return None
            text, wanted = tested
            return (("group", text, reads(text)),
                    lambda: self.compile(text, columns=columns(), source=f"table {table.id}, {name} '{axis.label}'"),
                    wanted)

        return _Parts(measure, where, row_part, column_part, of, value, group(row, "row"), group(column, "column"))

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
        pending = [name for text in texts if text for name in _names_read(text)]
        while pending:
            name = pending.pop()
            if name in bindings and name not in wanted:
                wanted.add(name)
                pending.extend(_names_read(bindings[name]))
        return [(name, text) for name, text in bindings.items() if name in wanted]

    def _counted(self, unit: str, condition: ColumnElement[bool], source: Any = None) -> ColumnElement[int]:
        """``count(...) FILTER (WHERE condition)``: PostgreSQL and SQLite (3.30+) both skip the rows
        a cell does not want before aggregating, cheaper than adding up a CASE per row."""
        c = (source if source is not None else self.source).c
        if unit == "households":
            condition = sa.and_(condition, c.relationship_to_hoh == 1)
        if self.definition.latest_per_person:
            # One row per person (their latest stay): distinct persons, their stays and HoH
            # households are plain row counts, which spares the database a sort per cell.
            return sa.func.count().filter(condition)
        counted = c.enrollment_pk if unit == "enrollments" else c.person_key
        return sa.func.count(sa.distinct(counted)).filter(condition)

    def aggregates(self, predicate: CellPredicate, source: Any = None) -> list[ColumnElement[Any]]:
        measure = predicate.measure
        if measure.kind in ("persons", "households", "enrollments"):
            return [self._counted(measure.kind, predicate.condition, source)]
        if measure.kind == "percent":
            return [self._counted(measure.unit, predicate.condition, source),
                    self._counted(measure.unit, predicate.denominator, source)]
        if measure.kind == "sum":
            return [sa.func.coalesce(sa.func.sum(predicate.value).filter(predicate.condition), 0)]
        if measure.kind == "average":
            # HUD's answer key (Data Lab) writes 0, not a blank, for an average over nobody
            return [sa.func.coalesce(sa.func.avg(predicate.value).filter(predicate.condition), 0)]
        if self.medians_in_batch:
            return [self._median_aggregate(predicate)]
        return []  # median: its own query (:meth:`median`)

    @staticmethod
    def _median_aggregate(predicate: CellPredicate) -> ColumnElement[Any]:
        """The median as :meth:`median` works it out (the mean of the two middle values, 0 over nobody),
        from two ``percentile_disc(0.5)``: ascending it is the lower middle value, descending the upper
        (the same one when the count is odd). Exact, unlike ``percentile_cont``, which works in floats."""
        value = predicate.value

        def middle(order: ColumnElement[Any]) -> ColumnElement[Any]:
            return sa.func.percentile_disc(0.5).within_group(order).filter(predicate.condition)

        return sa.func.coalesce((middle(value.asc()) + middle(value.desc())) / sa.literal(2, sa.Numeric), 0)

    def median(self, predicate: CellPredicate, source: Any = None) -> Any:
        value = predicate.value.label("v")
        ranked = (sa.select(value,
                            sa.func.row_number().over(order_by=value).label("n"),
                            sa.func.count().over().label("total"))
                  .select_from(source if source is not None else self.source)
                  .where(predicate.condition, value.is_not(None)).subquery())
        # a median over nobody is 0, as for averages (HUD's answer key)
        middle = sa.select(sa.func.coalesce(sa.func.avg(ranked.c.v), 0)).where(
            ranked.c.n.in_([(ranked.c.total + 1) // 2, (ranked.c.total + 2) // 2]))
        return middle

    # -------------------------------------------------------------- running
    def run(self, connection: sa.Connection, progress: Progress | None = None) -> dict[str, Any]:
        prefix = f"report_{uuid.uuid4().hex[:12]}"
        name = f"{prefix}_universe"
        universe = self._build(prefix)
        prepare(connection)
        with _temporary_tables(connection) as write:
            for step in universe.steps:
                write(step.table, step.select)
            with _without_merge_joins(connection):
                write(name, self.select)
            table = sa.table(name, *[sa.column(column_name, self.types[column_name]) for column_name in self.names])
            self.bind(table)
            total = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            tables = self.definition.tables
            position = {report_table.id: index for index, report_table in enumerate(tables)}

            def reached(report_table: Table) -> None:
                if progress:
                    progress(10 + int(85 * position[report_table.id] / max(len(tables), 1)),
                             f"Table {report_table.id}")

            found = run_tables(self, connection, [t for t in tables if t.per != "project"], reached)
            for report_table in tables:
                if report_table.per == "project":  # one row per project: hmis.reports.projects
                    reached(report_table)
                    found[report_table.id] = project_table(self, connection, report_table)
        return {"universe_rows": total, "tables": [found[report_table.id] for report_table in tables]}

    def drilldown_query(self, table: Table, row_index: int, column_index: int) -> sa.Select[Any]:
        """The universe rows behind one cell (a query to run through the access policy)."""
        self._build(None)
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


@contextmanager
def _temporary_tables(connection: sa.Connection) -> Iterator[Callable[[str, sa.Select[Any]], None]]:
    """``write(name, select)`` creates a temporary table; every table written is dropped on the way out.

    No ANALYZE: on the universe (hundreds of columns) it cost more than all the cell queries
    together, and the planner sizes a never-analysed table from its pages, which is what the
    next layer's plan needs. After a database error the transaction is already lost (and its
    temporary tables with it on rollback), so a failing drop must not hide the error that got us here.
    """
    written: list[str] = []

    def write(name: str, query: sa.Select[Any]) -> None:
        connection.execute(_CreateTempTableAs(name, query))
        written.append(name)

    failed = False
    try:
        yield write
    except BaseException:
        failed = True
        raise
    finally:
        for name in reversed(written):
            try:
                connection.exec_driver_sql(f"DROP TABLE {name}")
            except sa.exc.DBAPIError:
                if not failed:
                    raise


#: PostgreSQL memory per sort or hash of a report's queries (see :func:`prepare`).
REPORT_WORK_MEM = "64MB"
#: PostgreSQL's cost of a random page read relative to a sequential one, for a report's queries (SSD, cached).
REPORT_RANDOM_PAGE_COST = 1.1


def prepare(connection: sa.Connection) -> None:
    """Per-transaction settings for report SQL.

    PostgreSQL's JIT compiler judges the universe query by its estimated cost (high, for its
    many small look-ups) and spends ~9 s compiling expressions for a query that then runs in
    ~1 s on HUD's sample; reports are better off without it.

    The universe's rows are wide (hundreds of columns): with the default 4 MB of ``work_mem`` each
    join and window of its last layer sorted them on disk, 100-300 ms apiece on a 50,000-client CoC.

    A report probes the indexes of the record tables (disabilities, income, exits...) once per row,
    pages a busy HMIS keeps cached: at the default ``random_page_cost`` (4, for spinning disks)
    PostgreSQL read the whole disabilities table for the 70,000 rows of a 200,000-client APR instead
    (~1.5 s, now ~0.9 s).
    """
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL jit = off")
        connection.exec_driver_sql(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
        connection.exec_driver_sql(f"SET LOCAL random_page_cost = {REPORT_RANDOM_PAGE_COST}")


@contextmanager
def _without_merge_joins(connection: sa.Connection) -> Iterator[None]:
    """No merge joins in the statement run inside (PostgreSQL).

    The universe's last layer joins the staged rows to each record pass and to each stage's income
    record by id. Not knowing the temporary tables' sizes, PostgreSQL merge-joined the income records,
    reading the whole income_benefits primary key once per stage (~0.25 s each on a 200,000-client CoC);
    hash joins and index look-ups took the layer from ~2.7 s to ~2.2 s.
    """
    postgresql = connection.dialect.name == "postgresql"
    if postgresql:
        connection.exec_driver_sql("SET LOCAL enable_mergejoin = off")
    yield
    if postgresql:
        connection.exec_driver_sql("SET LOCAL enable_mergejoin = on")


@lru_cache(maxsize=4096)
def _names_read(text: str) -> frozenset[str]:
    """The names a rule reads. Parsing is cached already, but the APR walked the trees ~16,000 times
    (once per cell and rule that reads a binding) for a few hundred distinct rules."""
    return references(parse(text))


@lru_cache(maxsize=4096)
def _value_test(text: str | None) -> tuple[str, Any] | None:
    """``(expr) = value`` with a number or text value (what a grouped row expands to): the
    expression's text and the value, else None. A cell's rule ``coalesce(expr = value, false)``
    holds exactly when the row's ``expr`` is not null and equals ``value``."""
    if text is None:
        return None
    try:
        node = parse(text)
    except ExpressionError:  # compiling the rule itself reports it, with its table, row and column
        return None
    if (isinstance(node, Binary) and node.op == "=" and isinstance(node.right, Literal)
            and node.right.kind in ("number", "text")):
        return unparse(node.left), node.right.value
    return None


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
    """HUD writes percentages as fractions with four decimals (7 of 9 -> 0.7778), rounded as
    HUD's Data Lab rounds its answer key (R's ``round()``): on the quotient as a double, a tie
    to the even digit, so 1 of 32 (0.03125 exactly) gives 0.0312 and 3 of 160 gives 0.0187."""
    if not denominator:
        return None
    return round(numerator / denominator, 4)


def run_report(definition: ReportDefinition, params: ReportParameters, connection: sa.Connection,
               progress: Progress | None = None) -> dict[str, Any]:
    """Run ``definition`` for ``params`` on ``connection``; the results as plain JSON data."""
    engine = ReportEngine(definition, params, connection.dialect.name)
    return engine.run(connection, progress)
