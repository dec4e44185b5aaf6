"""Translations of HUD's code-list labels (HUD publishes English only).

``data/codelists_<language>.yaml`` maps a HUD list id to ``{code: label}``; a code
without a translation shows HUD's English label, so a partial file is safe.
"""
from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

__all__ = ["code_list"]


@cache
def _load(language: str) -> dict[str, dict[int, str]]:
    name = f"codelists_{language}.yaml"
    try:
        text = resources.files("hmis.forms").joinpath("data").joinpath(name).read_text("utf-8")
    except FileNotFoundError:
        return {}
    raw = yaml.safe_load(text) or {}
    return {str(list_id): {int(code): str(label) for code, label in codes.items()} for list_id, codes in raw.items()}


def code_list(list_id: str, language: str) -> dict[int, str]:
    """``{code: label}`` in ``language`` for HUD list ``list_id`` (empty if none)."""
    return _load(language).get(list_id, {})
