"""Reusable fragments: pieces of forms written once (income, health insurance, disabilities).

A fragment is itself a form definition with ``fragment: true``; a form includes it with
an item ``{include: fragment-key}``, and the fragment's items take its place. Where a
fragment comes from depends on who asks:

* **validation** (CLI, editor, publish) takes the newest saved version from the database
  when there is one, else the file of that id in the shipped ``form_definitions/`` folder,
  so ``hmis definitions validate form_definitions/`` works with no database;
* **loading a published form** takes the *published* fragment, or, for a saved response,
  exactly the fragment versions it was entered with.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import has_app_context

from ..definitions.loader import parse_source
from ..definitions.files import definition_files

__all__ = ["Fragment", "Resolver", "from_database", "from_shipped_folder", "for_preview", "for_validation", "pinned", "shipped_folder"]


@dataclass(frozen=True)
class Fragment:
    key: str
    body: dict[str, Any]
    version_id: int | None  #: None when read from a file
    draft_only: bool = False  #: the database has only an unpublished version (a form using it cannot publish)


Resolver = Callable[[str], "Fragment | None"]


def shipped_folder() -> Path:
    import hmis

    return Path(hmis.__file__).resolve().parents[2] / "form_definitions"


def from_shipped_folder(folder: Path | None = None) -> Resolver:
    """Fragments from the shipped files, read lazily and once per resolver."""
    folder = folder or shipped_folder()
    cache: dict[str, Fragment | None] = {}
    index: dict[str, Path] | None = None

    def resolve(key: str) -> Fragment | None:
        nonlocal index
        if key in cache:
            return cache[key]
        if index is None:
            index = {}
            if folder.is_dir():
                for path in definition_files(folder):
                    index.setdefault(path.stem, path)
        found = None
        path = index.get(key)
        if path is not None:
            parsed = parse_source(path.read_bytes(), path.name)  # parse only: the fragment is checked on its own
            body = parsed.body if parsed.ok else None
            if isinstance(body, dict) and body.get("id") == key:
                found = Fragment(key, body, None)
        cache[key] = found
        return found

    return resolve


def from_database(*, published_only: bool) -> Resolver:
    """Fragments stored as form definitions: the published version, or else (when
    ``published_only`` is false) the newest one."""
    from ..definitions import service

    def resolve(key: str) -> Fragment | None:
        version = service.published("form", key)
        if version is None and not published_only:
            version = service.latest("form", key)
        if version is None or not isinstance(version.body, dict):
            return None
        return Fragment(key, version.body, version.id)

    return resolve


def pinned(version_ids: dict[str, int]) -> Resolver:
    """Exactly the fragment versions a saved response was entered with (falling back to
    the published one for a fragment it did not use)."""
    from ..extensions import db
    from ..models.definitions import DefinitionVersion

    published = from_database(published_only=True)

    def resolve(key: str) -> Fragment | None:
        if key in version_ids:
            version = db.session.get(DefinitionVersion, version_ids[key])
            if version is not None:
                return Fragment(key, version.body, version.id)
        return published(key)

    return resolve


def for_validation() -> Resolver:
    """What publishing checks against: the published fragment in the database; else its
    newest unpublished version, marked ``draft_only`` (the form cannot publish until the
    fragment is); else the shipped file (so a sync can install fragments and forms in
    any order). With no app (the CLI's ``validate``), the shipped files."""
    files = from_shipped_folder()
    if not has_app_context():
        return files
    from ..definitions import service

    def resolve(key: str) -> Fragment | None:
        version = service.published("form", key)
        if version is not None and isinstance(version.body, dict):
            return Fragment(key, version.body, version.id)
        version = service.latest("form", key)
        if version is not None and isinstance(version.body, dict):
            return Fragment(key, version.body, version.id, draft_only=True)
        return files(key)

    return resolve


def for_preview() -> Resolver:
    """What a preview of a draft shows: the newest version of each fragment, drafts included."""
    files = from_shipped_folder()
    database = from_database(published_only=False)
    return lambda key: database(key) or files(key)
