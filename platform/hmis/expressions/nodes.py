"""The syntax tree every expression is parsed into, once.

The tree is the contract between the parser and its three consumers (the checker,
the Python evaluator and the SQL compiler), so it is small and immutable: frozen
dataclasses that can be cached, shared between threads and used as dict keys.

Every node records ``line`` and ``column`` (1-based) so that any later error can
point into the text. For operators that is the operator itself (the ``/`` of a
division by zero), for everything else the node's first character. Positions are
left out of equality, so ``parse("a+1") == parse("a + 1")``.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Union

__all__ = [
    "Binary", "Call", "Expr", "In", "IsNull", "ListLiteral", "Literal", "Ref", "Unary",
    "ARITHMETIC", "COMPARISONS", "LOGICAL", "children", "references", "walk",
]

#: Operators by family; ``=`` is equality (``==`` is read as ``=``, ``<>`` as ``!=``).
ARITHMETIC = frozenset({"+", "-", "*", "/", "%"})
COMPARISONS = frozenset({"=", "!=", "<", "<=", ">", ">="})
LOGICAL = frozenset({"and", "or"})

LiteralValue = Union[int, Decimal, str, date, bool, None]


@dataclass(frozen=True, slots=True)
class _Node:
    line: int = field(default=0, compare=False, kw_only=True)
    column: int = field(default=0, compare=False, kw_only=True)

    def __str__(self) -> str:
        from .printer import unparse

        return unparse(self)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Literal(_Node):
    """A constant: a number (``int`` or exact ``Decimal``), text, a date, ``true``/``false`` or ``null``."""

    value: LiteralValue
    #: ``"number"``, ``"text"``, ``"date"``, ``"boolean"`` or ``"null"``; part of equality, so
    #: ``true`` never equals ``1`` even though Python says ``True == 1``.
    kind: str = field(init=False)

    def __post_init__(self) -> None:
        value = self.value
        if value is None:
            kind = "null"
        elif isinstance(value, bool):
            kind = "boolean"
        elif isinstance(value, (int, Decimal)):
            kind = "number"
        elif isinstance(value, str):
            kind = "text"
        elif isinstance(value, date):
            kind = "date"
        else:
            raise TypeError(f"not a literal value: {value!r}")
        object.__setattr__(self, "kind", kind)


@dataclass(frozen=True, slots=True)
class Ref(_Node):
    """A name: a form item (``income_total``) or context (``project.type``, ``client.age``, ``stage``).

    Dotted names are one name; the caller decides what ``project.type`` means.
    """

    name: str


@dataclass(frozen=True, slots=True)
class Unary(_Node):
    """``not x`` or ``-x``."""

    op: str
    operand: Expr


@dataclass(frozen=True, slots=True)
class Binary(_Node):
    """Arithmetic, comparison, ``and``/``or``. ``op`` is one of the operator sets above."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class ListLiteral(_Node):
    """``[1, 2, 3]``: only ever the right side of ``in``."""

    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class In(_Node):
    """``x in [..]`` / ``x not in [..]``; ``options`` may also name a list (a multi-select answer)."""

    operand: Expr
    options: ListLiteral | Ref
    negated: bool = False


@dataclass(frozen=True, slots=True)
class IsNull(_Node):
    """``x is null`` / ``x is not null``: the only comparisons with null that are ever true."""

    operand: Expr
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Call(_Node):
    """A function from the registry (:mod:`hmis.expressions.functions`): ``age(dob, entry_date)``."""

    name: str
    args: tuple[Expr, ...] = ()


Expr = Union[Literal, Ref, Unary, Binary, ListLiteral, In, IsNull, Call]


def children(node: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of ``node``, left to right."""
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, ListLiteral):
        return node.items
    if isinstance(node, In):
        return (node.operand, node.options)
    if isinstance(node, IsNull):
        return (node.operand,)
    if isinstance(node, Call):
        return node.args
    return ()


def walk(node: Expr) -> Iterator[Expr]:
    """Every node of the tree, parents before children, left to right."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def references(node: Expr) -> frozenset[str]:
    """The names an expression reads, e.g. to re-evaluate a form rule when one of its items changes."""
    return frozenset(n.name for n in walk(node) if isinstance(n, Ref))
