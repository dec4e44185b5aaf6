"""Definition text (YAML or JSON) to a JSON-compatible document, with line numbers.

Why not plain ``yaml.safe_load``:

* **Lines.** Every later check reports a path (``items[3].relevant``); an HMIS lead
  editing a 900-line file needs the line. We compose the YAML node tree first (its nodes
  carry start marks) and keep a map from every path to its line and column.
* **Silent surprises.** PyYAML keeps the last of two equal keys without a word; it reads
  ``no`` as false (a choice labelled *No* would vanish), ``10:30`` as 630 and
  ``2025-10-01`` as a date object a JSON column cannot hold. Our resolver follows YAML
  1.2's core schema instead: only ``true``/``false`` are booleans, numbers are decimal,
  dates stay text. Duplicate keys are refused with both lines.
* **Hostile input.** Aliases are refused outright (a "billion laughs" document expands a
  few hundred bytes into gigabytes; definitions have no need for them), sources are
  limited to :data:`MAX_SOURCE_BYTES`, and nesting to :data:`MAX_DEPTH`.

The result is plain JSON data (dicts with text keys, lists, text, numbers, booleans,
null), the same whether the file was YAML or JSON, so checksums and diffs compare
meaning, not spelling.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .problems import DefinitionProblem, Path, format_path, parse_path

__all__ = ["MAX_DEPTH", "MAX_SOURCE_BYTES", "Parsed", "parse_source"]

MAX_SOURCE_BYTES = 1_000_000  #: a HUD exit form is ~60 kB; a megabyte is room to spare
MAX_DEPTH = 64  #: nesting levels; real definitions use fewer than ten

_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Loader(yaml.SafeLoader):
    """PyYAML's pure-Python safe loader (its composer can be overridden, libyaml's cannot)
    with YAML 1.2 core scalars and no aliases."""

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None,
                f"aliases (*{event.anchor}) are not allowed in definitions; write the value out in full",
                event.start_mark,
            )
        return super().compose_node(parent, index)


# YAML 1.2 core schema for plain scalars: drop 1.1's yes/no/on/off booleans, sexagesimal
# and octal numbers, and timestamps; keep null, merge keys and the rest.
_DROPPED = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp"}
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _DROPPED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?=[eE]))(?:[eE][-+]?[0-9]+)?$"),
    list("-+.0123456789"),
)


@dataclass
class Parsed:
    """A parsed definition text: the document (``None`` if unreadable), what was wrong,
    and where every path sits in the text."""

    body: Any
    problems: list[DefinitionProblem] = field(default_factory=list)
    lines: dict[Path, tuple[int, int]] = field(default_factory=dict)  #: path -> (line, column), 1-based

    @property
    def ok(self) -> bool:
        return not self.problems

    def line_of(self, path: Path | None) -> int | None:
        """The line of ``path``, or of its nearest ancestor that is in the text (a missing
        property is reported at the mapping that should hold it)."""
        if path is None:
            return None
        for end in range(len(path), -1, -1):
            found = self.lines.get(tuple(path[:end]))
            if found:
                return found[0]
        return None

    def locate(self, problem: DefinitionProblem) -> DefinitionProblem:
        """``problem`` with its line filled in from its path, when it has none."""
        if problem.line is not None:
            return problem
        return problem.at_line(self.line_of(parse_path(problem.path)))


def parse_source(text: str | bytes, filename: str | None = None) -> Parsed:
    """Read a definition's text. Never raises for bad input: problems come back in the result.

    JSON is read as JSON when ``filename`` ends in ``.json`` or the text starts with ``{``
    (JSON's own messages are clearer for JSON); anything else is YAML.
    """
    if isinstance(text, bytes):
        if len(text) > MAX_SOURCE_BYTES:
            return Parsed(None, [_too_big(len(text))])
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            return Parsed(None, [DefinitionProblem("", None, f"not UTF-8 text (byte {error.start + 1})")])
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_SOURCE_BYTES:
        return Parsed(None, [_too_big(size)])
    text = text.removeprefix("\ufeff")
    if not text.strip():
        return Parsed(None, [DefinitionProblem("", None, "the definition is empty")])

    as_json = (filename or "").lower().endswith(".json") or text.lstrip().startswith("{")
    if as_json:
        parsed = _parse_json(text, strict=(filename or "").lower().endswith(".json"))
        if parsed is not None:
            return parsed
    return _parse_yaml(text)


def _too_big(size: int) -> DefinitionProblem:
    return DefinitionProblem("", None, f"the definition is {size:,} bytes; the limit is {MAX_SOURCE_BYTES:,}")


# -- YAML ---------------------------------------------------------------------------


def _parse_yaml(text: str) -> Parsed:
    try:
        loader = _Loader(text)  # checks for unprintable characters at once
    except yaml.reader.ReaderError as error:
        return Parsed(None, [_reader_problem(text, error)])
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as error:
            return Parsed(None, [_yaml_problem(error)])
        except yaml.reader.ReaderError as error:
            return Parsed(None, [_reader_problem(text, error)])
        except RecursionError:
            return Parsed(None, [DefinitionProblem("", None, f"nested more than {MAX_DEPTH} levels deep")])
        if node is None:
            return Parsed(None, [DefinitionProblem("", None, "the definition is empty")])

        parsed = Parsed(None)
        _walk(node, (), parsed, 0)
        if parsed.problems:
            return parsed
        try:
            value = loader.construct_document(node)
        except yaml.MarkedYAMLError as error:
            return Parsed(None, [_yaml_problem(error)], parsed.lines)
        except RecursionError:
            return Parsed(None, [DefinitionProblem("", None, f"nested more than {MAX_DEPTH} levels deep")])
    finally:
        loader.dispose()
    parsed.body = _to_json(value, (), parsed)
    if parsed.problems:
        parsed.body = None
    return parsed


def _reader_problem(text: str, error: yaml.reader.ReaderError) -> DefinitionProblem:
    line = text.count("\n", 0, error.position) + 1
    column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
    return DefinitionProblem("", line, f"character #x{error.character:04x} is not allowed in a definition", column)


def _yaml_problem(error: yaml.MarkedYAMLError) -> DefinitionProblem:
    mark = error.problem_mark or error.context_mark
    message = (error.problem or error.context or "not valid YAML").strip().replace("'<stream end>'", "the end")
    if "'\\t'" in message:
        message = "a tab character here: YAML is indented with spaces, never tabs"
    elif error.context and error.problem:
        where = ""
        if error.context_mark is not None and error.context_mark is not mark:
            where = f" that starts at line {error.context_mark.line + 1}"
        message = f"{message} ({error.context.strip()}{where})"
        closer = {"flow sequence": "]", "flow mapping": "}"}
        for opened, bracket in closer.items():
            if opened in error.context:
                message += f"; is a '{bracket}' missing?"
    if mark is None:
        return DefinitionProblem("", None, message)
    return DefinitionProblem("", mark.line + 1, message, mark.column + 1)


def _walk(node: Node, path: Path, parsed: Parsed, depth: int) -> None:
    """Record the line of every path and find duplicate keys, before constructing values
    (construction merges ``<<`` keys in place and forgets positions)."""
    if depth > MAX_DEPTH:
        parsed.problems.append(DefinitionProblem(format_path(path), node.start_mark.line + 1,
                                                 f"nested more than {MAX_DEPTH} levels deep"))
        return
    if not path:
        parsed.lines[()] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, MappingNode):
        seen: dict[tuple[str, str], int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                _walk(value_node, path, parsed, depth + 1)
                continue
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode):
                parsed.problems.append(DefinitionProblem(format_path(path), line,
                                                         "a key must be plain text, not a list or mapping"))
                continue
            identity = (key_node.tag, key_node.value)
            child = path + (key_node.value,)
            if identity in seen:
                parsed.problems.append(DefinitionProblem(
                    format_path(child), line,
                    f"duplicate key '{key_node.value}' (first at line {seen[identity]}, again at line {line})",
                    key_node.start_mark.column + 1,
                ))
                continue
            seen[identity] = line
            parsed.lines.setdefault(child, (line, key_node.start_mark.column + 1))
            _walk(value_node, child, parsed, depth + 1)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            child = path + (index,)
            parsed.lines.setdefault(child, (item.start_mark.line + 1, item.start_mark.column + 1))
            _walk(item, child, parsed, depth + 1)


# -- JSON ---------------------------------------------------------------------------


def _parse_json(text: str, strict: bool) -> Parsed | None:
    """Parse as JSON. ``None`` (try YAML instead) when it is not JSON and ``strict`` is off:
    ``{a: 1}`` is a YAML flow mapping."""
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                duplicates.append(key)
            out[key] = value
        return out

    try:
        value = json.loads(text, object_pairs_hook=pairs, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        if not strict:
            return None
        return Parsed(None, [DefinitionProblem("", error.lineno, f"not valid JSON: {error.msg}", error.colno)])
    except ValueError as error:
        return Parsed(None, [DefinitionProblem("", None, f"not valid JSON: {error}")])
    except RecursionError:
        return Parsed(None, [DefinitionProblem("", None, f"nested more than {MAX_DEPTH} levels deep")])

    # JSON is (nearly) YAML: compose it for the line map and for duplicate keys with lines.
    # Tabs are only whitespace in valid JSON (a tab inside a string must be escaped).
    located = Parsed(None)
    try:
        node = _Loader(text.replace("\t", " ")).get_single_node()
        if node is not None:
            _walk(node, (), located, 0)
    except (yaml.YAMLError, RecursionError):
        located = Parsed(None, [DefinitionProblem("", None, f"duplicate key '{key}'") for key in duplicates])
    parsed = Parsed(None, located.problems, located.lines)
    body = _to_json(value, (), parsed)
    parsed.body = None if parsed.problems else body
    return parsed


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


# -- JSON-compatible values -----------------------------------------------------------


def _to_json(value: Any, path: Path, parsed: Parsed) -> Any:
    """Check (and tidy) that ``value`` is plain JSON data; report anything else at its path."""
    def problem(message: str) -> None:
        parsed.problems.append(DefinitionProblem(format_path(path), parsed.line_of(path), message))

    if len(path) > MAX_DEPTH:
        problem(f"nested more than {MAX_DEPTH} levels deep")
        return None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            problem("infinity and not-a-number are not allowed")
        return value
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                shown = json.dumps(key) if isinstance(key, (bool, int, float, type(None))) else repr(key)
                parsed.problems.append(DefinitionProblem(
                    format_path(path), parsed.line_of(path + (str(key),)),
                    f"key {shown} is not text; put it in quotes ('{shown}')",
                ))
                continue
            out[key] = _to_json(item, path + (key,), parsed)
        return out
    if isinstance(value, (list, tuple)):
        return [_to_json(item, path + (index,), parsed) for index, item in enumerate(value)]
    kind = {"bytes": "binary data", "set": "a set", "date": "a date", "datetime": "a timestamp"}.get(
        type(value).__name__, type(value).__name__)
    problem(f"{kind} is not allowed here; write it as text in quotes")
    return None
