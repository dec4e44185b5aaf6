"""Load a compiled form from the definitions store: the published version, or the exact
version (and fragment versions) a saved response was entered with."""
from __future__ import annotations

import threading
from collections import OrderedDict

from sqlalchemy import and_, event, or_, select
from sqlalchemy.orm import Session

from ..db import built_once
from ..definitions import service
from ..extensions import db
from ..models.definitions import Definition, DefinitionVersion
from . import fragments
from .compile import compile_body
from .items import CompiledForm
from .rules import RULES_KEY

__all__ = ["FormNotPublished", "current_identity", "load", "load_identified", "load_version", "published_snapshot",
           "version_identity"]

_SNAPSHOT = "forms.published_snapshot"


def published_snapshot() -> dict[tuple[str, str], tuple[int, str]]:
    """``{(kind, key): (version id, checksum)}`` of every published form and of the form
    rules: one query, whose answer serves the rest of the transaction (a household's
    page asks for the rules and each form) until the session flushes, which is when this
    transaction could have published something itself."""
    session = db.session()
    kept = session.info.get(_SNAPSHOT)
    if kept is not None and kept[0] is session.get_transaction():
        return kept[1]
    rows = session.execute(_published_statement())
    snapshot = {(kind, key): (version_id, checksum) for kind, key, version_id, checksum in rows}
    session.info[_SNAPSHOT] = (session.get_transaction(), snapshot)  # the query began one if none was open
    return snapshot


@built_once
def _published_statement():
    """:func:`published_snapshot`'s query, built once: every page and re-evaluation runs it,
    and a statement object reused keeps its SQL cache key (worked out on first use) where a
    new one is built and keyed again each time."""
    # On the tables, not the mapped classes: a plain (Core) statement skips the ORM's
    # set-up for each execution, and nothing here is an object.
    definition, version = Definition.__table__, DefinitionVersion.__table__
    return (select(definition.c.kind, definition.c.key, version.c.id, version.c.checksum)
            .select_from(version).join(definition, definition.c.id == version.c.definition_id)
            .where(version.c.status == "published",
                   or_(definition.c.kind == "form", and_(definition.c.kind == "admin", definition.c.key == RULES_KEY))))


@event.listens_for(Session, "after_flush")
def _forget_snapshot(session: Session, _context) -> None:
    # Whatever was flushed may be a publication (or a retirement): read again next time.
    session.info.pop(_SNAPSHOT, None)


class FormNotPublished(LookupError):
    """No published version of the form (or no such version). ``str()`` is safe to show."""


def load(key: str, version: int | None = None) -> CompiledForm:
    """The published version of form ``key`` (or version number ``version``), compiled.

    :raise FormNotPublished: nothing published (or no such version).
    """
    if version is None:
        cached = _published_in_cache(key)
        if cached is not None:
            return cached
        found = service.published("form", key)
        if found is None:
            raise FormNotPublished(f"The form '{key}' has no published version; an HMIS lead must publish it first.")
    else:
        found = service.get_version("form", key, version)
        if found is None:
            raise FormNotPublished(f"The form '{key}' has no version {version}.")
    return load_version(found.id)


#: Compiled published/retired versions. Their bodies never change, so a compiled form is
#: reused while the fragment versions it was built with are still the ones asked for.
#: Versions are known by id *and* checksum: ids alone repeat across databases (tests, a
#: restored backup), meaning never does.
_CACHE: OrderedDict[tuple[int, str], list[tuple[dict[str, tuple[int, str]], CompiledForm]]] = OrderedDict()
_CACHE_SIZE = 64
_CACHE_LOCK = threading.Lock()  # web processes serve requests on several threads


def _fragment_identities(keys: list[str], pinned: dict[str, int]) -> dict[str, tuple[int, str]]:
    """``{fragment key: (version id, checksum)}`` of what the form would be built with now."""
    found: dict[str, tuple[int, str]] = {}
    pinned_ids = [pinned[key] for key in keys if key in pinned]
    if pinned_ids:
        rows = db.session.execute(select(Definition.key, DefinitionVersion.id, DefinitionVersion.checksum)
                                  .join(DefinitionVersion.definition).where(DefinitionVersion.id.in_(pinned_ids)))
        found.update({key: (version_id, checksum) for key, version_id, checksum in rows})
    others = [key for key in keys if key not in found]
    if others:
        published = published_snapshot()
        found.update({key: published[("form", key)] for key in others if ("form", key) in published})
    return found


def _published_in_cache(key: str) -> CompiledForm | None:
    """The compiled published version of ``key`` if the cache holds it with the fragment
    versions published now: what :func:`published_snapshot` says (at most one small query)
    instead of loading the definition, its version and its fragments' rows on every page."""
    with _CACHE_LOCK:
        candidates = [(identity, list(entries)) for identity, entries in _CACHE.items()
                      if entries and entries[-1][1].key == key]
    if not candidates:
        return None
    published = {found_key: identity for (kind, found_key), identity in published_snapshot().items() if kind == "form"}
    for identity, entries in candidates:
        if published.get(key) != identity:
            continue
        for used, form in entries:
            # As load_version checks it: every fragment it was built with is the published one now.
            if {fragment: published[fragment] for fragment in used if fragment in published} == used:
                return form
    return None


def version_identity(version_id: int) -> tuple[int, str, str, str] | None:
    """``(id, checksum, status, kind)`` of a stored definition version, or None: what the
    cache needs to know, without reading (and decoding) the version's body."""
    row = db.session.execute(
        select(DefinitionVersion.id, DefinitionVersion.checksum, DefinitionVersion.status, Definition.kind)
        .join(DefinitionVersion.definition).where(DefinitionVersion.id == version_id)).first()
    return None if row is None else (row[0], row[1], row[2], row[3])


def current_identity(version_id: int) -> tuple[int, str, str, str] | None:
    """:func:`version_identity`, answered from :func:`published_snapshot` when the version
    is a published form: the snapshot is read anyway to check the fragments, so a page's
    re-evaluation asks the database once for both."""
    for (kind, _key), (found_id, checksum) in published_snapshot().items():
        if kind == "form" and found_id == version_id:
            return found_id, checksum, "published", "form"
    return version_identity(version_id)


def load_version(version_id: int, fragment_versions: dict[str, int] | None = None) -> CompiledForm:
    """A stored version by id, with the given fragment versions (else the published ones)."""
    return load_identified(version_identity(version_id), fragment_versions, version_id=version_id)


def load_identified(identity: tuple[int, str, str, str] | None, fragment_versions: dict[str, int] | None = None, *,
                    version_id: int | None = None) -> CompiledForm:
    """:func:`load_version` for a caller that has read the :func:`version_identity` already."""
    if identity is None or identity[3] != "form":
        raise FormNotPublished(f"There is no form definition version {identity[0] if identity else version_id}.")
    version_id = identity[0]
    pinned = dict(fragment_versions or {})
    cache_key = (identity[0], identity[1])
    if identity[2] != "draft":
        with _CACHE_LOCK:
            candidates = list(_CACHE.get(cache_key, []))
        for used, form in candidates:
            if _fragment_identities(list(used), pinned) == used:
                return form
    version = db.session.get(DefinitionVersion, version_id)
    resolve = fragments.pinned(pinned)
    form = compile_body(version.body, version.definition.key, resolve, version=version.version,
                        version_id=version.id)
    if version.status != "draft":
        used = _fragment_identities(list(form.fragment_versions), form.fragment_versions)
        with _CACHE_LOCK:
            entries = [entry for entry in _CACHE.pop(cache_key, []) if entry[0] != used][-3:]
            _CACHE[cache_key] = entries + [(used, form)]
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
    return form
