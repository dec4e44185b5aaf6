"""Normal form, checksum and readable differences of definition bodies.

Two texts that mean the same (comments, key order, quoting, YAML or JSON) have the same
normal form, so a re-sync of an untouched file is "unchanged" and a diff shows only
changes of meaning. Diffs are of the normalized YAML: keys sorted, block style, one value
a line, which is what an HMIS lead reading a promotion's dry run wants to see.
"""
from __future__ import annotations

import difflib
import hashlib
import json
from typing import Any

import yaml

__all__ = ["checksum", "diff_bodies", "normalized_json", "normalized_yaml"]


def normalized_json(body: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, text as is."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def checksum(body: Any) -> str:
    """SHA-256 of :func:`normalized_json`: equal exactly when the bodies mean the same."""
    return hashlib.sha256(normalized_json(body).encode("utf-8")).hexdigest()


class _Dumper(yaml.SafeDumper):
    """Block-style YAML that indents list items under their key (easier to read in a diff)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Multi-line text (help texts, SQL-ish notes) reads best as a literal block.
    style = "|" if "\n" in value and not value.endswith((" ", "\t")) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def normalized_yaml(body: Any) -> str:
    """The body as YAML with sorted keys; ``""`` for no body (a definition that is new)."""
    if body is None:
        return ""
    return yaml.dump(body, Dumper=_Dumper, sort_keys=True, allow_unicode=True, default_flow_style=False, width=100)


def diff_bodies(old: Any, new: Any, old_label: str, new_label: str, context: int = 3) -> str:
    """A unified diff of two bodies' normalized YAML; ``""`` when they mean the same."""
    lines = difflib.unified_diff(
        normalized_yaml(old).splitlines(keepends=True),
        normalized_yaml(new).splitlines(keepends=True),
        fromfile=old_label, tofile=new_label, n=context,
    )
    out = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    return out
