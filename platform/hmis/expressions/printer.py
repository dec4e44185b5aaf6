"""Turn a tree back into canonical text.

Used for messages ("in `income / size`"), for showing a normalised rule in the
definition editor, and by the tests to prove that parsing and printing agree:
``parse(unparse(tree)) == tree``. Parentheses appear only where precedence needs them.
"""
from __future__ import annotations

from datetime import date

from .nodes import Binary, Call, Expr, In, IsNull, ListLiteral, Literal, Ref, Unary

__all__ = ["PRECEDENCE", "unparse"]

#: Binding strength, loosest first. Comparisons do not chain (``a < b < c`` is an error).
PRECEDENCE = {"or": 1, "and": 2, "not": 3, "compare": 4, "+": 5, "-": 5, "*": 6, "/": 6, "%": 6, "neg": 7}
_ATOM = 8


def _level(node: Expr) -> int:
    if isinstance(node, Binary):
        return PRECEDENCE.get(node.op, PRECEDENCE["compare"])
    if isinstance(node, Unary):
        return PRECEDENCE["not"] if node.op == "not" else PRECEDENCE["neg"]
    if isinstance(node, (In, IsNull)):
        return PRECEDENCE["compare"]
    if isinstance(node, Literal) and node.kind == "number" and node.value < 0:  # type: ignore[operator]
        return PRECEDENCE["neg"]
    return _ATOM


def _wrap(node: Expr, minimum: int) -> str:
    text = unparse(node)
    return f"({text})" if _level(node) < minimum else text


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\t", "\\t")
    return f"'{escaped}'"


def unparse(node: Expr) -> str:
    """Canonical text for ``node``: keywords in lower case, ``=`` for equality, single quotes."""
    if isinstance(node, Literal):
        if node.kind == "null":
            return "null"
        if node.kind == "boolean":
            return "true" if node.value else "false"
        if node.kind == "text":
            return _quote(node.value)  # type: ignore[arg-type]
        if node.kind == "date":
            assert isinstance(node.value, date)
            return f"date('{node.value.isoformat()}')"
        return str(node.value)
    if isinstance(node, Ref):
        return node.name
    if isinstance(node, Unary):
        if node.op == "not":
            return f"not {_wrap(node.operand, PRECEDENCE['not'])}"
        return f"-{_wrap(node.operand, PRECEDENCE['neg'])}"
    if isinstance(node, Binary):
        level = _level(node)
        if level == PRECEDENCE["compare"]:
            # Comparisons do not chain: both sides must bind tighter.
            return f"{_wrap(node.left, level + 1)} {node.op} {_wrap(node.right, level + 1)}"
        # Left-associative: the right side needs brackets at equal strength (a - (b - c)).
        return f"{_wrap(node.left, level)} {node.op} {_wrap(node.right, level + 1)}"
    if isinstance(node, ListLiteral):
        return "[" + ", ".join(unparse(item) for item in node.items) + "]"
    if isinstance(node, In):
        keyword = "not in" if node.negated else "in"
        return f"{_wrap(node.operand, PRECEDENCE['compare'] + 1)} {keyword} {unparse(node.options)}"
    if isinstance(node, IsNull):
        keyword = "is not null" if node.negated else "is null"
        return f"{_wrap(node.operand, PRECEDENCE['compare'] + 1)} {keyword}"
    if isinstance(node, Call):
        return f"{node.name}(" + ", ".join(unparse(arg) for arg in node.args) + ")"
    raise TypeError(f"not an expression node: {node!r}")
