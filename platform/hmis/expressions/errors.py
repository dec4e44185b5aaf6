"""The one error family of the expression language.

Every error carries *where*: the definition and item it came from (``source``, a
free-form label the caller builds, such as ``"intake.yaml, item 'income_total'"``),
and the line and column inside the expression. An HMIS lead reads these messages
in the definition editor, so they say what is wrong in plain words and, where we
can guess, what was probably meant.
"""
from __future__ import annotations

from typing import Any

__all__ = [
    "ExpressionCheckError",
    "ExpressionError",
    "ExpressionRuntimeError",
    "ExpressionSyntaxError",
]


class ExpressionError(Exception):
    """A problem with an expression, located in its definition and its text.

    ``str(error)`` reads like
    ``intake.yaml, item 'income_total': unknown name 'incom' at 1:5 (did you mean 'income'?)``.
    """

    def __init__(
        self,
        message: str,
        source: str | None = None,
        line: int | None = None,
        column: int | None = None,
        *,
        hint: str | None = None,
        text: str | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.line = line
        self.column = column
        self.hint = hint  #: a suggestion, shown in parentheses after the position
        self.text = text  #: the expression's text, when known, for :meth:`excerpt`
        super().__init__(message)

    def __str__(self) -> str:
        parts = f"{self.source}: " if self.source else ""
        parts += self.message
        if self.line is not None:
            parts += f" at {self.line}:{self.column}"
        if self.hint:
            parts += f" ({self.hint})"
        return parts

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors travel through RQ jobs (pickled); keep every attribute.
        return (_rebuild, (type(self), self.message, self.source, self.line, self.column, self.hint, self.text))

    def located(self, source: str | None, text: str | None = None) -> ExpressionError:
        """This error with ``source`` (and the expression's ``text``) filled in where missing.

        Lower layers know the position but not which definition they are working for;
        the public entry points add that here, so callers never have to.
        """
        if self.source is None and source is not None:
            self.source = source
        if self.text is None and text is not None:
            self.text = text
        return self

    def excerpt(self) -> str | None:
        """The offending line of the expression with a caret under the column, or ``None``."""
        if self.text is None or self.line is None or self.column is None:
            return None
        lines = self.text.splitlines() or [""]
        if not 1 <= self.line <= len(lines):
            return None
        return f"{lines[self.line - 1]}\n{' ' * (self.column - 1)}^"


def _rebuild(cls: type[ExpressionError], message, source, line, column, hint, text) -> ExpressionError:
    return cls(message, source, line, column, hint=hint, text=text)


class ExpressionSyntaxError(ExpressionError):
    """The text is not an expression: a typo, a missing bracket, an unknown function."""


class ExpressionCheckError(ExpressionError):
    """The expression parses but cannot work: an unknown name, a wrong number of
    arguments, or values of kinds that cannot be combined (a date compared with a number)."""


class ExpressionRuntimeError(ExpressionError):
    """Evaluation failed on actual values: a division by zero (when the caller asked to
    hear about it), or a value of the wrong kind in the data the expression was given."""
