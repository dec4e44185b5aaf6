"""The one expression language of every definition: forms, workflow guards, report filters.

One language, so an HMIS lead learns it once and a rule means the same thing wherever
it is used. The pipeline, and why it is split this way:

``parse(text)``
    text to an immutable tree, once per distinct text (cached). Syntax errors, unknown
    functions and impossible dates fail here. Lark's LALR parser; never ``eval``.
``check(tree, names)``
    when a definition is validated or published: unknown names (with suggestions),
    argument counts and kinds. Returns the kind of the result.
``evaluate(tree, values)``
    in Python, for one record: form rules, workflow guards.
``to_sql(tree, columns, dialect)``
    to a SQLAlchemy expression, for all records at once: report filters and derived
    attributes, on PostgreSQL or SQLite, with the same answers as ``evaluate``.

Null follows SQL's rules in all of them; see :mod:`hmis.expressions.evaluator` and the
README beside this file, which is the language guide for HMIS leads.
"""
from __future__ import annotations

from .checker import Names, check, infer
from .errors import ExpressionCheckError, ExpressionError, ExpressionRuntimeError, ExpressionSyntaxError
from .evaluator import evaluate, is_true
from .functions import FUNCTIONS
from .nodes import Binary, Call, Expr, In, IsNull, ListLiteral, Literal, Ref, Unary, references, walk
from .parser import parse
from .printer import unparse
from .sql import column_kinds, kind_of_column, to_sql
from .valuetypes import ANY, BOOLEAN, DATE, NULL, NUMBER, TEXT, Type, list_of

__all__ = [
    "ANY", "BOOLEAN", "DATE", "FUNCTIONS", "NULL", "NUMBER", "TEXT",
    "Binary", "Call", "Expr", "ExpressionCheckError", "ExpressionError", "ExpressionRuntimeError",
    "ExpressionSyntaxError", "In", "IsNull", "ListLiteral", "Literal", "Names", "Ref", "Type", "Unary",
    "check", "column_kinds", "evaluate", "infer", "is_true", "kind_of_column", "list_of", "parse", "references",
    "to_sql", "unparse", "walk",
]
