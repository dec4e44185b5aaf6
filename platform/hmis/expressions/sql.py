"""Compile a tree to a SQLAlchemy Core expression that runs in the database.

Report filters and derived attributes run as SQL over every row at once, never as a
Python loop, on PostgreSQL in production and SQLite by default. The compiled SQL must
give exactly what :func:`hmis.expressions.evaluate` gives for the same row, on both;
``tests/expressions/test_differential.py`` holds us to that. Where the two databases
differ, this module papers over it:

* ``today()`` is a bound parameter (the date the caller passes), never ``CURRENT_DATE``:
  the database server's clock is usually UTC, which would move "today" at 7 pm in New
  York, and a report must be re-runnable as of a given date.
* ``age()``/``years_between()`` compare month and day as numbers on both databases, the
  rule :func:`~hmis.expressions.functions.whole_years` documents (PostgreSQL's own
  ``age()`` disagrees for negative spans).
* ``days_between()`` is date subtraction on PostgreSQL and a ``julianday`` difference on SQLite.
* ``/`` is division in double precision on both, with ``NULLIF(divisor, 0)``: a division
  by zero is null, as in Python when problems are collected.
* ``%`` works on whole numbers (as ``BIGINT``), with the sign of the dividend.
* integer arithmetic is done in 64 bits on PostgreSQL too (its ``integer`` overflows at 2**31).
* text ordering uses ``COLLATE "C"`` on PostgreSQL (code point order, as Python and SQLite).
* ``lower``/``upper`` change A-Z only (SQLite's behaviour; PostgreSQL uses ``translate``).
* ``min``/``max`` are null if any argument is (SQLite's behaviour; PostgreSQL's
  ``least``/``greatest`` skip nulls, so they are wrapped).

A name maps to a column expression, or, for a list (a multiple-choice answer, a
project's funders), to a one-column ``SELECT`` of its values, correlated to the row:
``in`` becomes ``IN (subquery)``, ``answered``/``is null`` become ``EXISTS``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, NoReturn

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Select

from .checker import TypeMap, infer
from .errors import ExpressionCheckError, ExpressionError
from .functions import ASCII_LOWERCASE, ASCII_UPPERCASE
from .nodes import ARITHMETIC, Binary, Call, Expr, In, IsNull, ListLiteral, Literal, Ref, Unary
from .parser import parse
from .valuetypes import ANY, BOOLEAN, DATE, NUMBER, TEXT, Type, list_of

__all__ = ["DIALECTS", "SQL_FUNCTIONS", "column_kinds", "kind_of_column", "to_sql"]

DIALECTS = frozenset({"postgresql", "sqlite"})
Columns = Mapping[str, "ColumnElement[Any] | Select[Any]"]

_RESULT_TYPES = {BOOLEAN: sa.Boolean(), DATE: sa.Date(), TEXT: sa.String()}
_INT32 = 2**31


def to_sql(expr: Expr | str, columns: Columns, dialect_name: str, *, today: date | None = None,
           source: str | None = None, expect: Type | str | None = None) -> ColumnElement[Any]:
    """Compile ``expr`` for ``dialect_name`` (``"postgresql"`` or ``"sqlite"``).

    The expression is checked first against the columns' own types, so an unknown name or
    a date compared with a number fails here, with suggestions, as :func:`check` does.

    :param columns: name to column expression (``{"dob": Client.dob, "project.type": Project.project_type}``),
        or to a one-column correlated ``SELECT`` for a name holding several values.
    :param today: the date ``today()`` means (bound as a parameter); defaults to the machine's date.
    :param expect: the kind the result must have, e.g. ``"yes/no"`` for a filter.
    :return: an expression typed so that selecting it gives Python values like :func:`evaluate`'s
        (``bool`` for yes/no on SQLite too, ``datetime.date`` for dates).
    :raise ExpressionError: for a check failure or an unsupported dialect or column type.
    """
    dialect = getattr(dialect_name, "name", dialect_name)
    if dialect not in DIALECTS:
        raise ExpressionError(f"cannot compile expressions for {dialect!r}; only for {', '.join(sorted(DIALECTS))}",
                              source)
    if isinstance(expr, str):
        expr = parse(expr, source=source)
    types = infer(expr, column_kinds(columns), source=source, expect=expect)
    compiler = _Compiler(columns, dialect, today or date.today(), types)
    try:
        compiled = compiler.sql(expr)
    except ExpressionError as error:
        raise error.located(source) from None
    result_type = _RESULT_TYPES.get(types[expr])
    if result_type is None:
        return compiled
    # type_coerce hides the operator from SQLAlchemy's precedence rules, so group first:
    # otherwise not_(<a and b>) would print as NOT a AND b.
    return sa.type_coerce(compiled.self_group(), result_type)


def kind_of_column(element: ColumnElement[Any] | Select[Any]) -> Type:
    """The expression kind of a column (or of a one-column ``SELECT``: a list).

    :raise ExpressionCheckError: for a column type expressions cannot use (JSON, intervals...).
    """
    if isinstance(element, Select):
        return list_of(kind_of_column(list(element.selected_columns)[0]))
    column_type = element.type
    if isinstance(column_type, sa.Boolean):
        return BOOLEAN
    if isinstance(column_type, (sa.Integer, sa.Numeric)):
        return NUMBER
    if isinstance(column_type, sa.String):
        return TEXT
    if isinstance(column_type, (sa.Date, sa.DateTime)):  # a date-time is read as its date, as in Python
        return DATE
    if isinstance(column_type, sa.types.NullType):
        return ANY
    raise ExpressionCheckError(f"a column of type {column_type} cannot be used in expressions")


class _ColumnKinds(Mapping[str, Type]):
    """Kinds of ``columns``, worked out only for the names an expression uses (so one
    exotic column in a wide table does not break every expression), yet iterable, so the
    checker can still suggest close names."""

    def __init__(self, columns: Columns) -> None:
        self._columns = columns

    def __getitem__(self, name: str) -> Type:
        return kind_of_column(self._columns[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)


def column_kinds(columns: Columns) -> Mapping[str, Type]:
    """The ``names`` argument for :func:`check` that matches what :func:`to_sql` will accept."""
    return _ColumnKinds(columns)


class _Compiler:
    def __init__(self, columns: Columns, dialect: str, today: date, types: TypeMap) -> None:
        self.columns = columns
        self.dialect = dialect
        self.today = today
        self.types = types

    @property
    def postgres(self) -> bool:
        return self.dialect == "postgresql"

    def fail(self, message: str, node: Expr) -> NoReturn:
        raise ExpressionCheckError(message, None, node.line or None, node.column or None)

    # -- nodes -----------------------------------------------------------------------

    def sql(self, node: Expr) -> ColumnElement[Any]:
        if isinstance(node, Literal):
            return self.literal(node.value)
        if isinstance(node, Ref):
            column = self.columns[node.name]
            if isinstance(column, Select):
                self.fail(f"'{node.name}' holds several values", node)
            if isinstance(column.type, sa.DateTime):
                return sa.cast(column, sa.Date) if self.postgres else sa.func.date(column, type_=sa.Date)
            return column
        if isinstance(node, Unary):
            operand = self.sql(node.operand)
            return sa.not_(operand) if node.op == "not" else -self.widen(operand)
        if isinstance(node, Binary):
            return self.binary(node)
        if isinstance(node, In):
            return self.membership(node)
        if isinstance(node, IsNull):
            subquery = self.subquery(node.operand)
            if subquery is not None:
                return sa.exists(subquery) if node.negated else ~sa.exists(subquery)
            operand = self.sql(node.operand)
            return operand.is_not(None) if node.negated else operand.is_(None)
        if isinstance(node, Call):
            return SQL_FUNCTIONS[node.name](self, node)
        self.fail("a list in brackets can only follow 'in'", node)

    def literal(self, value: Any) -> ColumnElement[Any]:
        if value is None:
            return sa.null()
        if isinstance(value, bool):
            return sa.true() if value else sa.false()
        if isinstance(value, int):
            return sa.literal(value, sa.Integer if -_INT32 <= value < _INT32 else sa.BigInteger)
        if isinstance(value, Decimal):
            return sa.literal(value, sa.Numeric())
        if isinstance(value, str):
            return sa.literal(value, sa.String)
        if isinstance(value, date):
            return sa.literal(value, sa.Date)
        raise TypeError(f"not a literal value: {value!r}")

    def binary(self, node: Binary) -> ColumnElement[Any]:
        left, right = self.sql(node.left), self.sql(node.right)
        op = node.op
        if op == "and":
            return sa.and_(left, right)
        if op == "or":
            return sa.or_(left, right)
        if op == "/":
            divisor = sa.func.nullif(sa.cast(right, sa.Double), sa.literal(0.0, sa.Double), type_=sa.Double)
            return sa.cast(left, sa.Double).op("/", return_type=sa.Double)(divisor)
        if op == "%":
            divisor = sa.func.nullif(sa.cast(right, sa.BigInteger), sa.literal(0, sa.BigInteger),
                                     type_=sa.BigInteger)
            return sa.cast(left, sa.BigInteger) % divisor
        if op in ARITHMETIC:
            return _ARITHMETIC[op](self.widen(left), self.widen(right))
        if self.postgres and TEXT in (self.types[node.left], self.types[node.right]) and op not in ("=", "!="):
            left = left.collate("C")
        return _COMPARE[op](left, right)

    def subquery(self, node: Expr) -> Select[Any] | None:
        """The ``SELECT`` a list-valued name maps to, or ``None`` for anything else."""
        if isinstance(node, Ref):
            column = self.columns[node.name]
            if isinstance(column, Select):
                return column
        return None

    def membership(self, node: In) -> ColumnElement[Any]:
        operand = self.sql(node.operand)
        if isinstance(node.options, ListLiteral):
            options: Any = [self.sql(item) for item in node.options.items]
        else:
            options = self.subquery(node.options)
            if options is None:
                self.fail(f"'{node.options.name}' must map to a SELECT of its values to be used after 'in'",
                          node.options)
        return operand.not_in(options) if node.negated else operand.in_(options)

    def widen(self, value: ColumnElement[Any]) -> ColumnElement[Any]:
        """Integers as 64-bit before arithmetic: PostgreSQL's ``integer`` overflows at 2**31
        (an error), where Python never overflows and SQLite computes in 64 bits."""
        if self.postgres and isinstance(value.type, sa.Integer) and not isinstance(value.type, sa.BigInteger):
            return sa.cast(value, sa.BigInteger)
        return value

    # -- helpers for functions ---------------------------------------------------------

    def part(self, value: ColumnElement[Any], field: str) -> ColumnElement[Any]:
        """``year``, ``month`` or ``day`` of a date, as an integer."""
        if self.postgres:
            return sa.cast(sa.extract(field, value), sa.Integer)
        code = {"year": "%Y", "month": "%m", "day": "%d"}[field]
        return sa.cast(sa.func.strftime(code, value), sa.Integer)

    def whole_years(self, start: ColumnElement[Any], end: ColumnElement[Any]) -> ColumnElement[Any]:
        """Whole years from ``start`` to ``end``, by the rule of :func:`functions.whole_years`."""
        end_day = self.part(end, "month") * 100 + self.part(end, "day")
        start_day = self.part(start, "month") * 100 + self.part(start, "day")
        before_birthday = sa.case((end_day < start_day, 1), else_=0)
        return self.part(end, "year") - self.part(start, "year") - before_birthday

    def args(self, node: Call) -> list[ColumnElement[Any]]:
        return [self.sql(arg) for arg in node.args]


_ARITHMETIC: dict[str, Callable[[Any, Any], ColumnElement[Any]]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
}
_COMPARE: dict[str, Callable[[Any, Any], ColumnElement[Any]]] = {
    "=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}


def _shared_type(elements: list[ColumnElement[Any]]) -> Any:
    """The SQL type of a value that may be any of ``elements`` (coalesce, if, min, max).

    SQLAlchemy would take the first argument's type, so ``coalesce(n, 0.5)`` would pass
    for an integer and :meth:`_Compiler.widen` would cast 0.5 to 1 on PostgreSQL.
    """
    types = [element.type for element in elements if not isinstance(element.type, sa.types.NullType)]
    if not types:
        return sa.types.NullType()
    if all(isinstance(t, sa.Integer) for t in types):
        return sa.BigInteger() if any(isinstance(t, sa.BigInteger) for t in types) else sa.Integer()
    if all(isinstance(t, (sa.Integer, sa.Numeric)) for t in types):
        return sa.Double() if any(isinstance(t, sa.Float) for t in types) else sa.Numeric()
    return types[0]


def _coalesce(c: _Compiler, node: Call) -> ColumnElement[Any]:
    args = c.args(node)
    return sa.func.coalesce(*args, type_=_shared_type(args))


def _if(c: _Compiler, node: Call) -> ColumnElement[Any]:
    condition, then, otherwise = c.args(node)
    return sa.type_coerce(sa.case((condition, then), else_=otherwise), _shared_type([then, otherwise]))


def _days_between(c: _Compiler, node: Call) -> ColumnElement[Any]:
    start, end = c.args(node)
    if c.postgres:
        return sa.type_coerce(end - start, sa.Integer)  # date - date is an integer of days
    return sa.cast(sa.func.julianday(end) - sa.func.julianday(start), sa.Integer)


def _extreme(postgres_name: str, sqlite_name: str) -> Callable[[_Compiler, Call], ColumnElement[Any]]:
    def compile_(c: _Compiler, node: Call) -> ColumnElement[Any]:
        args = c.args(node)
        shared = _shared_type(args)
        if not c.postgres:
            return getattr(sa.func, sqlite_name)(*args, type_=shared)
        if c.types[node] == TEXT:
            args = [arg.collate("C") for arg in args]
        picked = getattr(sa.func, postgres_name)(*args, type_=shared)
        return sa.type_coerce(sa.case((sa.or_(*(arg.is_(None) for arg in args)), sa.null()), else_=picked), shared)

    return compile_


def _answered(c: _Compiler, node: Call) -> ColumnElement[Any]:
    subquery = c.subquery(node.args[0])
    if subquery is not None:
        return sa.exists(subquery)
    value = c.sql(node.args[0])
    if c.types[node.args[0]] == TEXT:
        return sa.and_(value.is_not(None), value != "")
    return value.is_not(None)


def _count_selected(c: _Compiler, node: Call) -> ColumnElement[Any]:
    subquery = c.subquery(node.args[0])
    if subquery is None:
        c.fail(f"'{node.args[0]}' must map to a SELECT of its values for count_selected()", node)
    return subquery.with_only_columns(sa.func.count(), maintain_column_froms=True).scalar_subquery()


def _case_convert(source: str, target: str, sqlite_name: str) -> Callable[[_Compiler, Call], ColumnElement[Any]]:
    def compile_(c: _Compiler, node: Call) -> ColumnElement[Any]:
        (text,) = c.args(node)
        if c.postgres:
            return sa.func.translate(text, source, target, type_=sa.String)
        return getattr(sa.func, sqlite_name)(text, type_=sa.String)

    return compile_


def _contains(c: _Compiler, node: Call) -> ColumnElement[Any]:
    text, part = c.args(node)
    found = sa.func.strpos(text, part) if c.postgres else sa.func.instr(text, part)
    return found > 0


def _date(c: _Compiler, node: Call) -> ColumnElement[Any]:
    # The parser turns date('...') into a date constant; only a hand-built tree gets here.
    (argument,) = node.args
    assert isinstance(argument, Literal)
    value = date.fromisoformat(str(argument.value))
    return c.literal(value)


#: SQL for each registry function: ``compile(compiler, call) -> ColumnElement``.
SQL_FUNCTIONS: dict[str, Callable[[_Compiler, Call], ColumnElement[Any]]] = {
    "today": lambda c, node: c.literal(c.today),
    "age": lambda c, node: c.whole_years(c.sql(node.args[0]), c.sql(node.args[1]) if len(node.args) > 1
                                         else c.literal(c.today)),
    "years_between": lambda c, node: c.whole_years(*c.args(node)),
    "days_between": _days_between,
    "year": lambda c, node: c.part(c.sql(node.args[0]), "year"),
    "month": lambda c, node: c.part(c.sql(node.args[0]), "month"),
    "date": _date,
    "coalesce": _coalesce,
    "if": _if,
    "min": _extreme("least", "min"),
    "max": _extreme("greatest", "max"),
    "abs": lambda c, node: sa.func.abs(c.widen(c.sql(node.args[0]))),
    "lower": _case_convert(ASCII_UPPERCASE, ASCII_LOWERCASE, "lower"),
    "upper": _case_convert(ASCII_LOWERCASE, ASCII_UPPERCASE, "upper"),
    "length": lambda c, node: sa.func.length(c.sql(node.args[0]), type_=sa.Integer),
    "contains": _contains,
    "answered": _answered,
    "count_selected": _count_selected,
}
