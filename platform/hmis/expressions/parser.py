"""Text to tree: :func:`parse`, with errors an HMIS lead can act on.

The Lark parse tree is turned into :mod:`~hmis.expressions.nodes` right away, so no
other module knows Lark exists. While building the tree we also settle what can be
settled from the text alone: unknown functions and wrong argument counts (named,
with a suggestion), date constants (``date('2025-02-30')`` fails here, not in a
report run a month later), and ``-5`` becomes the number minus five.

Definitions are parsed once: :func:`parse` caches by text, and the tree is immutable,
so every form render, workflow step and report run shares it.
"""
from __future__ import annotations

import difflib
from decimal import Decimal
from functools import lru_cache
from typing import Any, NoReturn

from lark import Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from .errors import ExpressionError, ExpressionSyntaxError
from .functions import FUNCTIONS, parse_date_text
from .grammar import PARSER
from .nodes import Binary, Call, Expr, In, IsNull, ListLiteral, Literal, Ref, Unary, children

__all__ = ["MAX_DEPTH", "MAX_LENGTH", "parse"]

MAX_LENGTH = 4000  #: characters; a rule longer than this belongs in several items
MAX_DEPTH = 100  #: nesting levels; keeps every recursive consumer (and SQLAlchemy) far from Python's limit

_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t"}

#: How a terminal is named in a message.
_DESCRIBE = {
    "NAME": "a name", "NUMBER": "a number", "STRING": "a quoted text", "COMPARE": "a comparison such as '='",
    "ADD": "'+' or '-'", "MUL": "'*', '/' or '%'", "LPAR": "'('", "RPAR": "')'", "LSQB": "'['", "RSQB": "']'",
    "COMMA": "','", "$END": "the end",
}
_VALUE_STARTS = {"NAME", "NUMBER", "STRING"}


def parse(text: str, *, source: str | None = None) -> Expr:
    """Parse ``text`` into an immutable tree. Cached by text; safe to call on every request.

    :param source: where the text comes from, for messages: ``"intake.yaml, item 'income_total'"``.
    :raise ExpressionSyntaxError: naming ``source``, the line and the column.
    """
    if not isinstance(text, str):
        raise TypeError(f"an expression is text, not {type(text).__name__}")
    try:
        return _parse_cached(text)
    except ExpressionError as error:
        raise error.located(source, text) from None


@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> Expr:
    if not text.strip():
        raise ExpressionSyntaxError("the expression is empty", None, 1, 1)
    if len(text) > MAX_LENGTH:
        raise ExpressionSyntaxError(f"the expression is longer than {MAX_LENGTH} characters", None, 1, 1)
    try:
        tree = PARSER.parse(text)
        expr = _Build().transform(tree)
    except UnexpectedInput as error:
        raise _syntax_error(error, text) from None
    except VisitError as error:
        if isinstance(error.orig_exc, ExpressionError):
            raise error.orig_exc from None
        raise
    except RecursionError:
        raise ExpressionSyntaxError(f"the expression is nested more than {MAX_DEPTH} levels deep", None, 1, 1) from None
    _check_depth(expr)
    return expr


def _check_depth(expr: Expr) -> None:
    stack = [(expr, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExpressionSyntaxError(f"the expression is nested more than {MAX_DEPTH} levels deep", None,
                                        node.line, node.column)
        stack.extend((child, depth + 1) for child in children(node))


def _end_position(text: str) -> tuple[int, int]:
    """Line and column just after the last non-blank character: where 'missing ...' points."""
    stripped = text.rstrip()
    lines = stripped.split("\n")
    return len(lines), len(lines[-1]) + 1


def _unclosed(text: str) -> Token | None:
    """The innermost bracket left open, if any (the parser's own expectations cannot
    tell a call's ')' from a list's ']', since both share the argument rule)."""
    stack: list[Token] = []
    try:
        for token in PARSER.lex(text):
            if token.type in ("LPAR", "LSQB"):
                stack.append(token)
            elif token.type in ("RPAR", "RSQB") and stack:
                stack.pop()
    except UnexpectedInput:
        return None
    return stack[-1] if stack else None


def _describe(expected: set[str]) -> str:
    if _VALUE_STARTS <= expected:
        return "a value"
    names = sorted(_DESCRIBE.get(name, f"'{name.lower()}'") for name in expected if name != "$END")
    if len(names) > 4:
        return "an operator or the end of the expression" if "$END" in expected else "an operator"
    return " or ".join(names)


def _syntax_error(error: UnexpectedInput, text: str) -> ExpressionSyntaxError:
    if isinstance(error, UnexpectedCharacters):
        char = text[error.pos_in_stream] if error.pos_in_stream < len(text) else ""
        hint = None
        if char in "'\"":
            message = f"text starting with {char} is never closed"
            hint = f"end it with another {char}"
        elif char == "&":
            message, hint = "unexpected '&'", "write 'and'"
        elif char == "|":
            message, hint = "unexpected '|'", "write 'or'"
        elif char == "!":
            message, hint = "unexpected '!'", "write 'not', or '!=' for 'is not equal to'"
        else:
            message = f"unexpected character {char!r}"
        return ExpressionSyntaxError(message, None, error.line, error.column, hint=hint)
    if isinstance(error, UnexpectedToken):
        token = error.token
        expected = set(error.expected)
        if token.type == "$END":
            line, column = _end_position(text)
            opener = _unclosed(text)
            if opener is not None:
                closer = ")" if opener.type == "LPAR" else "]"
                return ExpressionSyntaxError(f"missing '{closer}'", None, line, column,
                                             hint=f"to close the '{opener.value}' at {opener.line}:{opener.column}")
            return ExpressionSyntaxError("the expression ends too early", None, line, column,
                                         hint=f"expected {_describe(expected)}")
        shown = f"name '{token.value}'" if token.type == "NAME" else f"'{token.value}'"
        hint = f"expected {_describe(expected)}"
        if token.type == "COMPARE" and "COMPARE" not in expected:
            hint = "comparisons do not chain: write 'a < b and b < c'"
        elif token.type in ("NUMBER", "STRING") and "LSQB" in expected:
            hint = "list the options in brackets: x in [1, 2, 3]"
        elif token.type in _VALUE_STARTS and not (_VALUE_STARTS & expected):
            hint = "is an operator such as 'and' or '=' missing?"
        return ExpressionSyntaxError(f"unexpected {shown}", None, token.line, token.column, hint=hint)
    return ExpressionSyntaxError(str(error).splitlines()[0], None, getattr(error, "line", None),
                                 getattr(error, "column", None))


def _fail(message: str, token: Token | Expr, hint: str | None = None) -> NoReturn:
    raise ExpressionSyntaxError(message, None, token.line, token.column, hint=hint)


def _string_value(token: Token) -> str:
    body = token.value[1:-1]
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\":
            escaped = body[index + 1]
            if escaped not in _ESCAPES:
                _fail(f"unknown escape '\\{escaped}' in text", token, "write '\\\\' for a backslash")
            out.append(_ESCAPES[escaped])
            index += 2
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _at(token: Token) -> dict[str, int]:
    return {"line": token.line, "column": token.column}


class _Build(Transformer):
    """Lark tree to nodes; every method receives the children of one grammar rule."""

    def start(self, items: list[Any]) -> Expr:
        return items[0]

    def group(self, items: list[Any]) -> Expr:
        return items[1]

    def number(self, items: list[Token]) -> Literal:
        token = items[0]
        value: int | Decimal = Decimal(token.value) if "." in token.value else int(token.value)
        return Literal(value, **_at(token))

    def string(self, items: list[Token]) -> Literal:
        return Literal(_string_value(items[0]), **_at(items[0]))

    def true(self, items: list[Token]) -> Literal:
        return Literal(True, **_at(items[0]))

    def false(self, items: list[Token]) -> Literal:
        return Literal(False, **_at(items[0]))

    def null(self, items: list[Token]) -> Literal:
        return Literal(None, **_at(items[0]))

    def ref(self, items: list[Token]) -> Ref:
        return Ref(items[0].value, **_at(items[0]))

    def arguments(self, items: list[Expr]) -> tuple[Expr, ...]:
        return tuple(items)

    def list(self, items: list[Any]) -> ListLiteral:
        return ListLiteral(items[1] or (), **_at(items[0]))

    def unary(self, items: list[Any]) -> Expr:
        op, operand = items
        if op.type == "NOT":
            return Unary("not", operand, **_at(op))
        if op.value == "+":
            return operand
        if isinstance(operand, Literal) and operand.kind == "number":
            return Literal(-operand.value, **_at(op))  # type: ignore[operator]
        return Unary("-", operand, **_at(op))

    def binary(self, items: list[Any]) -> Binary:
        left, op, right = items
        symbol = op.value.lower()
        symbol = {"==": "=", "<>": "!="}.get(symbol, symbol)
        return Binary(symbol, left, right, **_at(op))

    def in_list(self, items: list[Any]) -> In:
        operand, keyword, options = items
        return In(operand, options, False, **_at(keyword))

    def not_in_list(self, items: list[Any]) -> In:
        operand, keyword, _, options = items
        return In(operand, options, True, **_at(keyword))

    def is_null(self, items: list[Any]) -> IsNull:
        return IsNull(items[0], False, **_at(items[1]))

    def is_not_null(self, items: list[Any]) -> IsNull:
        return IsNull(items[0], True, **_at(items[1]))

    def call(self, items: list[Any]) -> Expr:
        name_token, _, args, _ = items
        name = name_token.value.lower()
        args = args or ()
        function = FUNCTIONS.get(name)
        if function is None:
            close = difflib.get_close_matches(name, FUNCTIONS, n=1)
            hint = f"did you mean '{close[0]}'?" if close else "see the list of functions in the expressions guide"
            _fail(f"unknown function '{name_token.value}'", name_token, hint)
        problem = function.arity_error(len(args))
        if problem:
            _fail(problem, name_token)
        if name == "date":
            return _date_constant(args[0], name_token)
        return Call(name, args, **_at(name_token))


def _date_constant(argument: Expr, at: Token) -> Literal:
    """``date('2025-10-01')`` is the language's date constant, settled while parsing."""
    if not (isinstance(argument, Literal) and argument.kind == "text"):
        _fail("date() takes a quoted date", argument, "for example date('2025-10-01')")
    value = parse_date_text(argument.value)  # type: ignore[arg-type]
    if value is None:
        _fail(f"not a date: {argument.value!r}", argument, "write date('YYYY-MM-DD'), a day that exists")
    return Literal(value, **_at(at))
