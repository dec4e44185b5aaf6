"""The few kinds of value an expression can hold.

Deliberately coarse: a definition author thinks in "number", "text", "date" and
"yes/no", not in integer widths. The checker uses these kinds to refuse rules that
cannot mean anything (``dob > 5``) before they are published, and the SQL compiler
uses them to pick the right database functions.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

__all__ = ["ANY", "BOOLEAN", "DATE", "NULL", "NUMBER", "TEXT", "Type", "list_of", "type_of_value"]


@dataclass(frozen=True)
class Type:
    """A value kind. ``list`` types (multi-select answers, a project's funders) have an element kind."""

    name: str
    element: Type | None = None

    def __str__(self) -> str:
        return f"list of {self.element}" if self.element is not None else self.name

    @property
    def is_list(self) -> bool:
        return self.element is not None

    @property
    def phrase(self) -> str:
        """How a message names a value of this kind: "a number", "text", "a list of dates"."""
        if self.element is not None:
            return f"a list of {_PLURALS.get(self.element.name, self.element.name + ' values')}"
        return _PHRASES.get(self.name, self.name)

    @classmethod
    def named(cls, spec: Type | str) -> Type:
        """``"number"``, ``"date"``, ``"list of number"``... as a :class:`Type` (definitions are YAML).

        :raise ValueError: for a name that is not a kind.
        """
        if isinstance(spec, Type):
            return spec
        words = spec.strip().lower()
        if words.startswith("list of "):
            return list_of(cls.named(words[len("list of "):]))
        known = _BY_NAME.get(_ALIASES.get(words, words))
        if known is None:
            raise ValueError(f"unknown value kind {spec!r}; use one of {', '.join(sorted(_BY_NAME))} or 'list of ...'")
        return known


BOOLEAN = Type("yes/no")
NUMBER = Type("number")
TEXT = Type("text")
DATE = Type("date")
NULL = Type("null")  #: the literal ``null``: fits anywhere a value may be missing
ANY = Type("any")  #: a name whose kind the caller does not know; checks are skipped for it

_PHRASES = {"yes/no": "a yes/no value", "number": "a number", "text": "text", "date": "a date", "null": "null",
            "any": "any value"}
_PLURALS = {"number": "numbers", "text": "texts", "date": "dates", "yes/no": "yes/no values"}
_BY_NAME = {t.name: t for t in (BOOLEAN, NUMBER, TEXT, DATE, ANY)}
_ALIASES = {
    "boolean": "yes/no", "bool": "yes/no", "integer": "number", "int": "number", "decimal": "number",
    "string": "text", "str": "text",
}


def list_of(element: Type) -> Type:
    """The kind of a list whose items are ``element``."""
    return Type("list", element)


def type_of_value(value: Any) -> Type:
    """The kind of a Python value as evaluation sees it (``None`` is :data:`NULL`)."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, (int, float, Decimal)):
        return NUMBER
    if isinstance(value, str):
        return TEXT
    if isinstance(value, (date, datetime)):
        return DATE
    if isinstance(value, (list, tuple, set, frozenset)):
        return list_of(ANY)
    return ANY
