"""The function registry: what each function accepts, returns, and does in Python.

One table answers three questions the rest of the package asks: does this function
exist and take this many arguments (the parser, so a typo fails before anything is
saved), what kinds does it accept and return (the checker), and what is its value
(the evaluator). Its SQL twin lives in :mod:`hmis.expressions.sql`, one entry per
name; a test keeps the two tables in step.

Every function except ``coalesce``, ``if``, ``answered`` and ``count_selected``
returns null when any argument is null, as SQL functions do.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, NoReturn

from .nodes import Call, Expr, Literal
from .valuetypes import ANY, BOOLEAN, DATE, NULL, NUMBER, TEXT, Type

if TYPE_CHECKING:
    from .evaluator import Evaluation

__all__ = [
    "ASCII_LOWERCASE", "ASCII_UPPERCASE", "FUNCTIONS", "Function", "ascii_lower", "ascii_upper", "fits",
    "parse_date_text", "unify", "whole_years",
]

Fail = Callable[[str, Expr], NoReturn]
TypeRule = Callable[[Call, Sequence[Type], Fail], Type]


@dataclass(frozen=True)
class Function:
    """One entry of the registry."""

    name: str
    usage: str  #: how to call it, shown in messages: ``age(date_of_birth, on_date)``
    min_args: int
    max_args: int | None  #: ``None``: any number from ``min_args`` up
    result: TypeRule  #: checks argument kinds (calls ``fail``) and returns the result kind
    python: Callable[..., Any]  #: ``python(evaluation, call, args)``
    lazy: bool = False  #: ``args`` are zero-argument callables, evaluated only when needed
    takes_null: bool = False  #: may be given the literal ``null`` (coalesce, the branches of if)
    #: argument kinds, when fixed; the evaluator verifies real values against them
    kinds: tuple[Type, ...] | None = None
    summary: str = ""

    def arity_error(self, given: int) -> str | None:
        """Why ``given`` arguments are wrong for this function, or ``None`` if they are fine."""
        if given < self.min_args or (self.max_args is not None and given > self.max_args):
            if self.max_args is None:
                wanted = f"at least {self.min_args}"
            elif self.min_args == self.max_args:
                wanted = str(self.min_args)
            else:
                wanted = f"{self.min_args} or {self.max_args}"
            plural = "" if wanted == "1" else "s"
            return f"{self.name}() takes {wanted} argument{plural}, not {given}: {self.usage}"
        return None


# --- kinds --------------------------------------------------------------------------

def fits(actual: Type, wanted: Type) -> bool:
    """Whether a value of kind ``actual`` may go where ``wanted`` is expected."""
    return actual == wanted or ANY in (actual, wanted) or (actual.is_list and wanted.is_list and fits(
        actual.element, wanted.element))  # type: ignore[arg-type]


def unify(types: Sequence[Type]) -> Type | None:
    """The one kind several values share (null fits any), or ``None`` if they disagree."""
    known = {t for t in types if t not in (NULL, ANY)}
    if len(known) > 1:
        return None
    if known:
        return known.pop()
    return ANY if ANY in types else NULL


def _fixed(result: Type, *params: Type) -> TypeRule:
    """Each argument must be of the given kind (the last one repeats for longer calls)."""

    def rule(call: Call, types: Sequence[Type], fail: Fail) -> Type:
        for index, actual in enumerate(types):
            wanted = params[min(index, len(params) - 1)]
            if not fits(actual, wanted):
                fail(f"{call.name}() needs {wanted.phrase} as argument {index + 1}, not {actual.phrase}",
                     call.args[index])
        return result

    return rule


def _same(*allowed: Type, start: int = 0) -> TypeRule:
    """Arguments from ``start`` on share one kind (one of ``allowed``, if given), which is the result."""

    def rule(call: Call, types: Sequence[Type], fail: Fail) -> Type:
        shared = unify(types[start:])
        if shared is None:
            kinds = " and ".join(sorted({t.phrase for t in types[start:] if t not in (NULL, ANY)}))
            fail(f"{call.name}() needs values of one kind, not {kinds}", call)
        if allowed and shared not in (NULL, ANY) and shared not in allowed:
            fail(f"{call.name}() works on {' or '.join(str(t) for t in allowed)} values, not {shared}", call)
        return shared  # type: ignore[return-value]

    return rule


def _if_rule(call: Call, types: Sequence[Type], fail: Fail) -> Type:
    if not fits(types[0], BOOLEAN):
        fail(f"the condition of if() must be yes/no, not {types[0].phrase}", call.args[0])
    return _same(start=1)(call, types, fail)


def _date_rule(call: Call, types: Sequence[Type], fail: Fail) -> Type:
    argument = call.args[0]
    if not (isinstance(argument, Literal) and argument.kind == "text"):
        fail("date() takes a quoted date such as date('2025-10-01')", argument)
    return DATE


def _list_rule(call: Call, types: Sequence[Type], fail: Fail) -> Type:
    if not (types[0].is_list or types[0] in (ANY, NULL)):
        fail(f"{call.name}() needs a multiple-choice answer, not {types[0].phrase}", call.args[0])
    return NUMBER


def _anything(result: Type) -> TypeRule:
    return lambda call, types, fail: result


# --- Python semantics ---------------------------------------------------------------

def whole_years(start: date, end: date) -> int:
    """Whole years from ``start`` to ``end``: the age on ``end`` of someone born on ``start``.

    A birthday counts once the calendar reaches the same month and day; someone born on
    29 February turns a year older on 1 March in common years. Negative when ``end`` is
    before ``start`` (so ``age(dob, entry_date) < 0`` finds a birth date after entry).
    The SQL compiler uses the same month-and-day comparison on both databases.
    """
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date_text(text: str) -> date | None:
    """``YYYY-MM-DD`` as a date, or ``None``. Stricter than ``date.fromisoformat``, which
    since Python 3.11 also reads ``20251001`` and week dates that no HMIS lead means."""
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


ASCII_UPPERCASE = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ASCII_LOWERCASE = "abcdefghijklmnopqrstuvwxyz"
_TO_LOWER = str.maketrans(ASCII_UPPERCASE, ASCII_LOWERCASE)
_TO_UPPER = str.maketrans(ASCII_LOWERCASE, ASCII_UPPERCASE)


def ascii_lower(text: str) -> str:
    """Lower-case A-Z only. SQLite's ``lower()`` changes nothing else, so neither do we
    (and PostgreSQL is told to do the same), keeping ``lower(name) = 'x'`` identical everywhere."""
    return text.translate(_TO_LOWER)


def ascii_upper(text: str) -> str:
    """Upper-case a-z only; see :func:`ascii_lower`."""
    return text.translate(_TO_UPPER)


def _nulls_in(function: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap ``function(*values)`` as a registry entry that gives null for any null argument."""

    def python(evaluation: Evaluation, call: Call, args: Sequence[Any]) -> Any:
        if any(value is None for value in args):
            return None
        return function(*args)

    return python


def _age(evaluation: Evaluation, call: Call, args: Sequence[Any]) -> Any:
    born = args[0]
    on = args[1] if len(args) > 1 else evaluation.today
    return None if born is None or on is None else whole_years(born, on)


def _coalesce(evaluation: Evaluation, call: Call, args: Sequence[Callable[[], Any]]) -> Any:
    for thunk in args:
        value = thunk()
        if value is not None:
            return value
    return None


def _if(evaluation: Evaluation, call: Call, args: Sequence[Callable[[], Any]]) -> Any:
    # A null condition takes the else branch, as SQL's CASE WHEN does.
    return args[1]() if args[0]() is True else args[2]()


def _extreme(pick: Callable[..., Any]) -> Callable[..., Any]:
    # Null if any argument is null: SQLite's min()/max() do this natively, and the SQL
    # compiler makes PostgreSQL's least()/greatest() (which skip nulls) do the same.
    def python(evaluation: Evaluation, call: Call, args: Sequence[Any]) -> Any:
        if any(value is None for value in args):
            return None
        return pick(evaluation.promote_all(args, call))

    return python


def _answered(evaluation: Evaluation, call: Call, args: Sequence[Any]) -> bool:
    value = args[0]
    return not (value is None or value == "" or (isinstance(value, (list, tuple, set, frozenset)) and not value))


def _count_selected(evaluation: Evaluation, call: Call, args: Sequence[Any]) -> int:
    value = args[0]
    return 0 if value is None else len(value)


def _date(evaluation: Evaluation, call: Call, args: Sequence[Any]) -> Any:
    if args[0] is None:
        return None
    parsed = parse_date_text(args[0])
    if parsed is None:
        evaluation.fail(f"not a date: {args[0]!r} (write YYYY-MM-DD)", call)
    return parsed


def _function(name: str, usage: str, returns: Type | TypeRule, python: Callable[..., Any], summary: str, *,
              kinds: tuple[Type, ...] | None = None, min_args: int | None = None, max_args: int | None = -1,
              **flags: Any) -> Function:
    """A registry entry; the argument count comes from ``usage`` unless given."""
    count = 0 if "()" in usage else usage.count(",") + 1
    rule = _fixed(returns, *kinds) if kinds is not None else returns
    return Function(name=name, usage=usage, min_args=count if min_args is None else min_args,
                    max_args=count if max_args == -1 else max_args, result=rule,  # type: ignore[arg-type]
                    python=python, kinds=kinds, summary=summary, **flags)


FUNCTIONS: dict[str, Function] = {f.name: f for f in (
    _function("today", "today()", DATE, lambda ev, call, args: ev.today,
              "the reporting date the caller chose (by default the CoC's local date), not the server's clock",
              kinds=()),
    _function("age", "age(date_of_birth, on_date)", NUMBER, _age, "whole years; on_date defaults to today()",
              kinds=(DATE, DATE), min_args=1),
    _function("years_between", "years_between(start_date, end_date)", NUMBER, _nulls_in(whole_years),
              "whole years from start to end, counted like age()", kinds=(DATE, DATE)),
    _function("days_between", "days_between(start_date, end_date)", NUMBER,
              _nulls_in(lambda start, end: (end - start).days), "end minus start in days; negative if end is earlier",
              kinds=(DATE, DATE)),
    _function("year", "year(a_date)", NUMBER, _nulls_in(lambda d: d.year), "the calendar year", kinds=(DATE,)),
    _function("month", "month(a_date)", NUMBER, _nulls_in(lambda d: d.month), "1 to 12", kinds=(DATE,)),
    _function("date", "date('YYYY-MM-DD')", _date_rule, _date, "a date constant"),
    _function("coalesce", "coalesce(value, fallback, ...)", _same(), _coalesce,
              "the first value that is not null", min_args=2, max_args=None, lazy=True, takes_null=True),
    _function("if", "if(condition, then_value, else_value)", _if_rule, _if,
              "then_value when the condition is true; else_value when it is false or null", lazy=True,
              takes_null=True),
    _function("min", "min(value, value, ...)", _same(NUMBER, DATE, TEXT), _extreme(min),
              "the smallest; null if any is null", min_args=2, max_args=None),
    _function("max", "max(value, value, ...)", _same(NUMBER, DATE, TEXT), _extreme(max),
              "the largest; null if any is null", min_args=2, max_args=None),
    _function("abs", "abs(number)", NUMBER, _nulls_in(abs), "the number without its sign", kinds=(NUMBER,)),
    _function("lower", "lower(text)", TEXT, _nulls_in(ascii_lower), "A-Z made a-z", kinds=(TEXT,)),
    _function("upper", "upper(text)", TEXT, _nulls_in(ascii_upper), "a-z made A-Z", kinds=(TEXT,)),
    _function("length", "length(text)", NUMBER, _nulls_in(len), "number of characters", kinds=(TEXT,)),
    _function("contains", "contains(text, part)", BOOLEAN, _nulls_in(lambda text, part: part in text),
              "whether part occurs in text (case matters)", kinds=(TEXT, TEXT)),
    _function("answered", "answered(item)", _anything(BOOLEAN), _answered,
              "true unless the value is null, empty text or an empty selection"),
    _function("count_selected", "count_selected(multiple_choice_item)", _list_rule, _count_selected,
              "how many options are selected; 0 when none"),
)}
