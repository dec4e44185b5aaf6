"""What is wrong with a definition, and where: the one currency of every check here.

Every layer (YAML loading, the base check, JSON Schema, a kind's own validators such
as the form item checks) reports :class:`DefinitionProblem` values instead of raising
on the first one, because an HMIS lead fixing a definition wants the whole list at
once, each with the line to look at.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

__all__ = [
    "DefinitionError", "DefinitionNotFound", "DefinitionProblem", "Path", "format_path", "parse_path",
]

#: A location inside a document: mapping keys and list indexes, outermost first.
Path = tuple[str | int, ...]

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_PATH_PART = re.compile(r"""\.?([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]""")


def format_path(path: Iterable[str | int]) -> str:
    """``('items', 3, 'relevant')`` -> ``items[3].relevant``; odd keys are quoted: ``["a.b"]``.

    An empty path (the document itself) is written as an empty string.
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part, ensure_ascii=False)}]"
    return out


def parse_path(text: str) -> Path | None:
    """The inverse of :func:`format_path`; ``None`` when ``text`` is not such a path.

    Validators report paths as text; the loader needs the parts to find the line.
    """
    parts: list[str | int] = []
    position = 0
    while position < len(text):
        match = _PATH_PART.match(text, position)
        if not match or match.end() == position:
            return None
        if match.group(1) is not None:
            parts.append(match.group(1))
        elif match.group(2) is not None:
            parts.append(int(match.group(2)))
        else:
            parts.append(json.loads(match.group(3)))
        position = match.end()
    return tuple(parts)


@dataclass(frozen=True)
class DefinitionProblem:
    """One thing wrong with a definition.

    :param path: where in the document (``items[3].relevant``); ``""`` for the document
        as a whole or when the text could not be read at all.
    :param line: 1-based line in the source text, when known.
    :param message: plain words for an HMIS lead.
    :param column: 1-based column, when known (syntax errors know it).
    """

    path: str
    line: int | None
    message: str
    column: int | None = None

    def __str__(self) -> str:
        where = ""
        if self.line is not None:
            where = f"line {self.line}" + (f", column {self.column}" if self.column is not None else "") + ": "
        return where + (f"{self.path}: " if self.path else "") + self.message

    def located(self, filename: str) -> str:
        """``form_definitions/intake.yaml:12: items[3].relevant: ...`` (compiler style, for the CLI)."""
        line = f":{self.line}" if self.line is not None else ""
        column = f":{self.column}" if self.line is not None and self.column is not None else ""
        return f"{filename}{line}{column}: " + (f"{self.path}: " if self.path else "") + self.message

    def at_line(self, line: int | None) -> DefinitionProblem:
        return replace(self, line=line)

    def as_dict(self) -> dict[str, object]:
        """For JSON responses (the definition editor shows these beside the text)."""
        return {"path": self.path, "line": self.line, "column": self.column, "message": self.message}


class DefinitionError(Exception):
    """A definition was refused; ``problems`` lists every reason, not just the first."""

    def __init__(self, problems: Sequence[DefinitionProblem], subject: str | None = None) -> None:
        self.problems = list(problems)
        self.subject = subject  #: e.g. ``form 'hud-intake'``
        super().__init__(self._summary())

    def _summary(self) -> str:
        head = f"{self.subject}: " if self.subject else ""
        count = len(self.problems)
        lines = [f"{head}{count} problem{'s' if count != 1 else ''}"]
        lines += [f"  {problem}" for problem in self.problems]
        return "\n".join(lines)


class DefinitionNotFound(LookupError):
    """No such definition or version (a wrong key or version number)."""
