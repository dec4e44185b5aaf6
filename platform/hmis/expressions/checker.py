"""Static checks, run when a definition is validated or published, never per request.

A rule that cannot work should fail in the definition editor, with the item and the
position, and not in front of a case manager or halfway through a report run. The
checker proves three things: every name exists (else it suggests the closest ones),
every function gets the right number and kinds of arguments, and values are only
combined in ways that mean something in both Python and SQL (no ``dob > 5``, no
``x = null``, which is never true in SQL; ``x is null`` is the test).

It also records the kind of every node; the SQL compiler uses those to pick functions.
"""
from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import NoReturn, Union

from .errors import ExpressionCheckError, ExpressionError
from .functions import FUNCTIONS, fits, unify
from .nodes import ARITHMETIC, COMPARISONS, Binary, Call, Expr, In, IsNull, ListLiteral, Literal, Ref, Unary
from .valuetypes import ANY, BOOLEAN, DATE, NULL, NUMBER, TEXT, Type, list_of

__all__ = ["Names", "TypeMap", "check", "infer"]

#: What the caller knows about names: a mapping from name to kind (``Type`` or ``"number"``...),
#: or a function answering for one name (``None``: unknown).
Names = Union[Mapping[str, Union[Type, str]], Callable[[str], Union[Type, str, None]]]

_LITERAL_KINDS = {"null": NULL, "boolean": BOOLEAN, "number": NUMBER, "text": TEXT, "date": DATE}
_LIST_TAKERS = frozenset({"answered", "count_selected"})


class TypeMap:
    """The kind of every node of one checked tree (by identity: equal subtrees may sit in
    different places, and the compiler asks about the node in front of it)."""

    def __init__(self) -> None:
        self._types: dict[int, tuple[Expr, Type]] = {}

    def __setitem__(self, node: Expr, kind: Type) -> None:
        self._types[id(node)] = (node, kind)  # holding the node keeps its id unique

    def __getitem__(self, node: Expr) -> Type:
        return self._types[id(node)][1]


def check(expr: Expr, names: Names, *, source: str | None = None, expect: Type | str | None = None) -> Type:
    """Check ``expr`` against the ``names`` a definition may use; return the kind of its value.

    :param expect: the kind the caller needs, e.g. ``"yes/no"`` for ``relevant`` and ``required``.
    :raise ExpressionCheckError: naming ``source``, what is wrong, and the line and column.
    """
    return infer(expr, names, source=source, expect=expect)[expr]


def infer(expr: Expr, names: Names, *, source: str | None = None, expect: Type | str | None = None) -> TypeMap:
    """:func:`check`, returning the kind of every node."""
    checker = _Checker(names)
    try:
        result = checker.value(expr, allow_null=expect is None)
        if expect is not None:
            wanted = Type.named(expect)
            if not fits(result, wanted):
                checker.fail(f"this rule must give {wanted.phrase}, but it gives {result.phrase}", expr)
    except ExpressionError as error:
        raise error.located(source, None) from None
    return checker.types


class _Checker:
    def __init__(self, names: Names) -> None:
        self.names = names
        self.types = TypeMap()

    # -- helpers ---------------------------------------------------------------------

    def fail(self, message: str, node: Expr, hint: str | None = None) -> NoReturn:
        raise ExpressionCheckError(message, None, node.line or None, node.column or None, hint=hint)

    def lookup(self, node: Ref) -> Type:
        found = self.names.get(node.name) if isinstance(self.names, Mapping) else self.names(node.name)
        if found is None:
            hint = None
            if isinstance(self.names, Mapping):
                close = difflib.get_close_matches(node.name, [str(n) for n in self.names], n=3, cutoff=0.6)
                if close:
                    hint = "did you mean " + " or ".join(f"'{name}'" for name in close) + "?"
            self.fail(f"unknown name '{node.name}'", node, hint)
        return Type.named(found)

    def value(self, node: Expr, *, allow_null: bool = False, allow_list: bool = False) -> Type:
        """Visit ``node`` where a single value is expected (null and lists only when allowed)."""
        kind = self.visit(node)
        if kind == NULL and not allow_null:
            self.fail("null is not a value here", node, "to test for a missing answer write 'x is null'")
        if kind.is_list and not allow_list:
            self.fail(f"'{node}' holds several values", node, "use 'v in x', count_selected(x) or answered(x)")
        return kind

    # -- nodes -----------------------------------------------------------------------

    def visit(self, node: Expr) -> Type:
        if isinstance(node, Literal):
            kind = _LITERAL_KINDS[node.kind]
        elif isinstance(node, Ref):
            kind = self.lookup(node)
        elif isinstance(node, Unary):
            kind = self.unary(node)
        elif isinstance(node, Binary):
            kind = self.binary(node)
        elif isinstance(node, In):
            kind = self.membership(node)
        elif isinstance(node, IsNull):
            self.value(node.operand, allow_null=True, allow_list=True)
            kind = BOOLEAN
        elif isinstance(node, Call):
            kind = self.call(node)
        elif isinstance(node, ListLiteral):
            self.fail("a list in brackets can only follow 'in'", node)
        else:
            raise TypeError(f"not an expression node: {node!r}")
        self.types[node] = kind
        return kind

    def unary(self, node: Unary) -> Type:
        operand = self.value(node.operand)
        wanted = BOOLEAN if node.op == "not" else NUMBER
        if not fits(operand, wanted):
            word = "'not'" if node.op == "not" else "'-'"
            self.fail(f"{word} needs {wanted.phrase}, not {operand.phrase}", node)
        return wanted

    def binary(self, node: Binary) -> Type:
        op = node.op
        if op in COMPARISONS:
            for this, other in ((node.left, node.right), (node.right, node.left)):
                if isinstance(this, Literal) and this.kind == "null":
                    test = "is not null" if op == "!=" else "is null"
                    self.fail(f"'{op} null' is never true: a comparison with null gives null", node,
                              f"write '{other} {test}'")
        left, right = self.value(node.left), self.value(node.right)
        if op in ("and", "or"):
            for side, kind in (("left", left), ("right", right)):
                if not fits(kind, BOOLEAN):
                    self.fail(f"'{op}' needs yes/no values on both sides; the {side} side is {kind.phrase}", node)
            return BOOLEAN
        if op in ARITHMETIC:
            if fits(left, NUMBER) and fits(right, NUMBER):
                return NUMBER
            hint = None
            if DATE in (left, right):
                hint = ("use days_between(start, end) to count days between dates" if op == "-" and left == right
                        else "date arithmetic is done with days_between(), age() and years_between()")
            self.fail(f"'{op}' needs numbers, not {left.phrase} and {right.phrase}", node, hint)
        assert op in COMPARISONS, op
        shared = unify([left, right])
        if shared is None:
            self.fail(f"cannot compare {left.phrase} with {right.phrase}", node)
        if shared == BOOLEAN and op not in ("=", "!="):
            self.fail(f"yes/no values can only be compared with '=' or '!=', not '{op}'", node)
        return BOOLEAN

    def membership(self, node: In) -> Type:
        operand = self.value(node.operand)
        options = node.options
        if isinstance(options, ListLiteral):
            kinds = [self.value(item, allow_null=True) for item in options.items]
            for item, kind in zip(options.items, kinds):
                if unify([operand, kind]) is None:
                    self.fail(f"cannot look for {operand.phrase} in a list with {kind.phrase}", item)
            self.types[options] = list_of(unify(kinds) or ANY)
        else:
            kind = self.visit(options)
            if kind == ANY:
                return BOOLEAN
            if not kind.is_list:
                self.fail(f"'{options.name}' is a single value, not a list", options,
                          f"write '{node.operand} = {options.name}', or list options in brackets")
            if unify([operand, kind.element]) is None:  # type: ignore[list-item]
                self.fail(f"cannot look for {operand.phrase} in {kind.phrase}", node)
        return BOOLEAN

    def call(self, node: Call) -> Type:
        function = FUNCTIONS.get(node.name)
        if function is None:
            self.fail(f"unknown function '{node.name}'", node)
        problem = function.arity_error(len(node.args))
        if problem:
            self.fail(problem, node)
        kinds = [self.value(arg, allow_null=function.takes_null, allow_list=node.name in _LIST_TAKERS)
                 for arg in node.args]
        return function.result(node, kinds, self.fail)
