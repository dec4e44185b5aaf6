"""Validate a definition's text, with no database: the CLI, the editor and publishing all
use this one function, so "valid" means the same thing everywhere."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .loader import MAX_SOURCE_BYTES, Parsed, parse_source
from .problems import DefinitionProblem
from .registry import check_body

__all__ = ["Checked", "check_source"]


@dataclass
class Checked:
    """A checked text: its document (``None`` if it could not be read), its key and
    every problem, each with a line where one is known, in line order."""

    kind: str
    key: str
    body: Any
    parsed: Parsed
    source_text: str | None  #: the text as read (``None`` if it was not UTF-8)
    problems: list[DefinitionProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def readable(self) -> bool:
        """Whether the text parsed at all (a draft must; publishing needs :attr:`ok`)."""
        return self.parsed.ok


def check_source(kind: str, source_text: str | bytes, key: str | None = None,
                 filename: str | None = None) -> Checked:
    """Parse ``source_text`` and run every check of ``kind`` on it.

    :param key: the definition's key; by default the document's own ``id`` (files name
        themselves), else the file name's stem.
    """
    text: str | bytes = source_text
    if isinstance(text, bytes) and len(text) <= MAX_SOURCE_BYTES:
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            pass  # parse_source says where
    if isinstance(text, str):
        text = text.removeprefix("\ufeff")
    parsed = parse_source(text, filename)
    source = text if isinstance(text, str) else None
    body = parsed.body
    if key is None:
        found = body.get("id") if isinstance(body, dict) else None
        if isinstance(found, str):
            key = found
        elif filename:
            key = filename.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
        else:
            key = ""
    if not parsed.ok:
        return Checked(kind, key, None, parsed, source, list(parsed.problems))
    problems = [parsed.locate(problem) for problem in check_body(kind, body, key)]
    problems.sort(key=lambda p: (p.line if p.line is not None else 0, p.path))
    return Checked(kind, key, body, parsed, source, problems)
