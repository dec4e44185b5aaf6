"""Expression checks for validators: a rule's errors as :class:`DefinitionProblem` values.

Form ``relevant``/``required``/``constraint``/``calculate`` rules, workflow guards and
report filters are all checked the same way when a definition is validated or
published; this turns :mod:`hmis.expressions` errors into problems at the rule's path,
so every validator reports them alike.
"""
from __future__ import annotations

from typing import Any

from ..expressions import ExpressionError, Names, check, parse
from .problems import DefinitionProblem

__all__ = ["expression_problems"]


def expression_problems(text: Any, names: Names, path: str, *, expect: str | None = None) -> list[DefinitionProblem]:
    """Parse and check the rule at ``path``; ``[]`` when it is fine, else one problem.

    :param names: the names the rule may use and their kinds (see :func:`hmis.expressions.check`).
    :param expect: the kind the rule must give, e.g. ``"yes/no"`` for ``relevant``.
    """
    if not isinstance(text, str):
        return [DefinitionProblem(path, None, "a rule must be text (an expression)")]
    try:
        check(parse(text), names, expect=expect)
    except ExpressionError as error:
        return [DefinitionProblem(path, None, _describe(error))]
    return []


def _describe(error: ExpressionError) -> str:
    message = f"in the rule: {error.message}"
    if error.line is not None:
        message += f" at {error.line}:{error.column}"
    if error.hint:
        message += f" ({error.hint})"
    return message
