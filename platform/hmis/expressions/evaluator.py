"""Evaluate a tree in Python: forms and workflow guards, one record at a time.

A plain walk over the tree; no ``eval``, no attribute access, nothing the text can
reach but the values it is given. The semantics are SQL's, on purpose, so that a rule
gives the same answer in a form (here) as in a report (compiled by
:mod:`hmis.expressions.sql` and run by PostgreSQL or SQLite):

* **null** is a missing value. Arithmetic, comparisons and functions given null give
  null; ``and``/``or``/``not`` use three-valued logic (``false and null`` is false,
  ``true or null`` is true, everything else with null is null). ``x in [...]`` is null
  when x is null or when x is not found and the list holds null. Only ``is null``,
  ``is not null``, ``answered()``, ``coalesce()`` and ``if()`` turn null into an answer.
* A rule used as a condition (``relevant``, ``required``, a guard, a report filter)
  holds only when it is exactly true; null counts as false, as in SQL's ``WHERE``.
  :func:`is_true` says so in code.
* ``/`` always divides exactly as binary floating point does (``7 / 2`` is 3.5, never
  3), in Python and in both databases, so the three agree to the last digit.
* **Division by zero** (``/`` or ``%``) gives null, as ``NULLIF(divisor, 0)`` does in
  SQL. It is still a mistake someone should hear about: with ``problems=None`` (the
  default) evaluation stops with :class:`ExpressionRuntimeError` naming the source
  and the position of the operator; pass a list instead and each division by zero is
  recorded there while evaluation goes on with null, giving exactly the database's
  answer (a form shows the recorded problem at its item).
"""
from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, NoReturn

from .errors import ExpressionError, ExpressionRuntimeError
from .functions import FUNCTIONS
from .nodes import ARITHMETIC, Binary, Call, Expr, In, IsNull, ListLiteral, Literal, Ref, Unary
from .parser import parse
from .valuetypes import BOOLEAN, NUMBER, Type, type_of_value

__all__ = ["Evaluation", "evaluate", "is_true"]

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
_LISTS = (list, tuple, set, frozenset)


def evaluate(expr: Expr | str, env: Mapping[str, Any], *, today: date | None = None, source: str | None = None,
             problems: list[ExpressionRuntimeError] | None = None) -> Any:
    """The value of ``expr`` given ``env``, which maps every name it uses to a value.

    :param env: flat: ``{"client.age": 34, "income_total": Decimal("120.50"), "dob": date(...)}``;
        ``None`` for an unanswered item, a list for a multiple-choice answer. Date-times are
        read as their date.
    :param today: what ``today()`` means; pass the CoC's local date (the SQL compiler takes the
        same parameter). Defaults to the machine's date.
    :param problems: where to record divisions by zero instead of raising; see the module notes.
    :return: ``None`` (null), ``bool``, ``int``, ``Decimal``, ``float``, ``str`` or ``datetime.date``.
    :raise ExpressionRuntimeError: for a name missing from ``env``, a value of the wrong kind,
        or a division by zero when ``problems`` is ``None``.
    """
    if isinstance(expr, str):
        expr = parse(expr, source=source)
    evaluation = Evaluation(env, today=today or date.today(), problems=problems, source=source)
    try:
        return evaluation.run(expr)
    except ExpressionError as error:
        raise error.located(source) from None


def is_true(value: Any) -> bool:
    """Whether a condition holds: only ``true`` does; ``false`` and null do not."""
    return value is True


class Evaluation:
    """One evaluation: the values, the date ``today()`` means, and where problems go.

    Registry functions receive it, to read :attr:`today` and to report problems.
    """

    def __init__(self, env: Mapping[str, Any], *, today: date,
                 problems: list[ExpressionRuntimeError] | None = None, source: str | None = None) -> None:
        self.env = env
        self.today = today
        self.problems = problems
        self.source = source

    # -- errors ----------------------------------------------------------------------

    def fail(self, message: str, node: Expr, hint: str | None = None) -> NoReturn:
        """Stop: the expression cannot be evaluated on these values."""
        raise ExpressionRuntimeError(message, self.source, node.line or None, node.column or None, hint=hint)

    def problem(self, message: str, node: Expr, hint: str | None = None) -> None:
        """A mistake whose value is null (as in SQL): recorded if the caller collects problems, else raised."""
        error = ExpressionRuntimeError(message, self.source, node.line or None, node.column or None, hint=hint)
        if self.problems is None:
            raise error
        self.problems.append(error)

    def expect(self, value: Any, kind: Type, node: Expr) -> Any:
        """``value`` if it is null or of ``kind``; otherwise stop (the caller passed the wrong data)."""
        if value is not None and type_of_value(value) != kind:
            self.fail(f"expected {kind.phrase} but '{node}' is {type_of_value(value).phrase} ({value!r})", node)
        return value

    # -- values ----------------------------------------------------------------------

    def promote(self, left: Any, right: Any, node: Expr) -> tuple[Any, Any]:
        """Two non-null values made comparable: numbers widened as PostgreSQL widens them
        (integer to numeric to double precision), anything else required to be of one kind."""
        left_kind, right_kind = type_of_value(left), type_of_value(right)
        if left_kind != right_kind:
            self.fail(f"cannot combine {left_kind.phrase} ({left!r}) with {right_kind.phrase} ({right!r})", node)
        if left_kind == NUMBER and (isinstance(left, float) or isinstance(right, float)):
            return float(left), float(right)
        return left, right

    def promote_all(self, values: Sequence[Any], node: Expr) -> list[Any]:
        """Like :meth:`promote`, for the arguments of ``min()``/``max()``."""
        values = list(values)
        for value in values[1:]:
            self.promote(values[0], value, node)
        if any(isinstance(value, float) for value in values):
            return [float(value) for value in values]
        return values

    def truth(self, node: Expr) -> bool | None:
        return self.expect(self.run(node), BOOLEAN, node)

    def run(self, node: Expr) -> Any:
        """The value of ``node``."""
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Ref):
            return self.ref(node)
        if isinstance(node, Binary):
            if node.op == "and":
                return self.conjunction(node)
            if node.op == "or":
                return self.disjunction(node)
            if node.op in ARITHMETIC:
                return self.arithmetic(node)
            return self.comparison(node)
        if isinstance(node, Unary):
            if node.op == "not":
                value = self.truth(node.operand)
                return None if value is None else not value
            value = self.expect(self.run(node.operand), NUMBER, node.operand)
            return None if value is None else -value
        if isinstance(node, In):
            return self.membership(node)
        if isinstance(node, IsNull):
            value = self.run(node.operand)
            missing = value is None or (isinstance(value, _LISTS) and not value)
            return not missing if node.negated else missing
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, ListLiteral):
            self.fail("a list in brackets can only follow 'in'", node)
        raise TypeError(f"not an expression node: {node!r}")

    def ref(self, node: Ref) -> Any:
        try:
            value = self.env[node.name]
        except KeyError:
            self.fail(f"no value was given for '{node.name}'", node, "pass None for an unanswered item")
        if isinstance(value, datetime):
            return value.date()
        return value

    def conjunction(self, node: Binary) -> bool | None:
        left = self.truth(node.left)
        if left is False:
            return False
        right = self.truth(node.right)
        if right is False:
            return False
        return None if left is None or right is None else True

    def disjunction(self, node: Binary) -> bool | None:
        left = self.truth(node.left)
        if left is True:
            return True
        right = self.truth(node.right)
        if right is True:
            return True
        return None if left is None or right is None else False

    def arithmetic(self, node: Binary) -> Any:
        left = self.expect(self.run(node.left), NUMBER, node.left)
        right = self.expect(self.run(node.right), NUMBER, node.right)
        if left is None or right is None:
            return None
        if node.op in ("/", "%") and right == 0:
            self.problem("division by zero", node, f"'{node.right}' is 0; the result is null")
            return None
        if node.op == "/":
            return float(left) / float(right)
        if node.op == "%":
            return self.remainder(left, right, node)
        left, right = self.promote(left, right, node)
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        return left * right

    def remainder(self, left: Any, right: Any, node: Binary) -> int:
        # '%' is for whole numbers: the databases disagree on fractions (SQLite truncates them).
        # The sign follows the dividend, as in SQL: -7 % 3 is -1 (Python's own % says 2).
        for value, side in ((left, node.left), (right, node.right)):
            if value != math.floor(value):
                self.fail(f"'%' works on whole numbers; '{side}' is {value}", node)
        whole_left, whole_right = int(left), int(right)
        result = abs(whole_left) % abs(whole_right)
        return -result if whole_left < 0 else result

    def comparison(self, node: Binary) -> bool | None:
        left, right = self.run(node.left), self.run(node.right)
        if left is None or right is None:
            return None
        left, right = self.promote(left, right, node)
        return _COMPARE[node.op](left, right)

    def membership(self, node: In) -> bool | None:
        operand = self.run(node.operand)
        if isinstance(node.options, ListLiteral):
            options = [self.run(item) for item in node.options.items]
        else:
            listed = self.ref(node.options)
            if listed is not None and not isinstance(listed, _LISTS):
                self.fail(f"expected a list for '{node.options.name}', got {listed!r}", node.options)
            options = list(listed or ())
        if not options:
            found: bool | None = False  # SQL: x IN (empty set) is false even for a null x
        elif operand is None:
            found = None
        else:
            found = False
            for option in options:
                if option is None:
                    found = None
                elif operator.eq(*self.promote(operand, option, node)):
                    found = True
                    break
        if node.negated and found is not None:
            return not found
        return found

    def call(self, node: Call) -> Any:
        function = FUNCTIONS.get(node.name)
        if function is None:
            self.fail(f"unknown function '{node.name}'", node)
        if function.lazy:
            return function.python(self, node, [lambda arg=arg: self.run(arg) for arg in node.args])
        args = [self.run(arg) for arg in node.args]
        if function.kinds is not None:
            for index, (arg, value) in enumerate(zip(node.args, args)):
                self.expect(value, function.kinds[min(index, len(function.kinds) - 1)], arg)
        return function.python(self, node, args)
