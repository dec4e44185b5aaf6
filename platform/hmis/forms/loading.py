"""Load a compiled form from the definitions store: the published version, or the exact
version (and fragment versions) a saved response was entered with."""
from __future__ import annotations

import threading
from collections import OrderedDict

from sqlalchemy import select

from ..definitions import service
from ..extensions import db
from ..models.definitions import Definition, DefinitionVersion
from . import fragments
from .compile import compile_body
from .items import CompiledForm

__all__ = ["FormNotPublished", "load", "load_version"]


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
        rows = db.session.execute(
            select(Definition.key, DefinitionVersion.id, DefinitionVersion.checksum).join(DefinitionVersion.definition)
            .where(Definition.kind == "form", Definition.key.in_(others), DefinitionVersion.status == "published"))
        found.update({key: (version_id, checksum) for key, version_id, checksum in rows})
    return found


def _published_in_cache(key: str) -> CompiledForm | None:
    """The compiled published version of ``key`` if the cache holds it with the fragment
    versions published now: one small query (the version ids and checksums of the form and
    its fragments) instead of loading the definition, its version and its fragments' rows
    on every page."""
    with _CACHE_LOCK:
        candidates = [(identity, list(entries)) for identity, entries in _CACHE.items()
                      if entries and entries[-1][1].key == key]
    if not candidates:
        return None
    keys = {key} | {fragment for _, entries in candidates for used, _ in entries for fragment in used}
    published = {found_key: (version_id, checksum) for found_key, version_id, checksum in db.session.execute(
        select(Definition.key, DefinitionVersion.id, DefinitionVersion.checksum).join(DefinitionVersion.definition)
        .where(Definition.kind == "form", Definition.key.in_(sorted(keys)), DefinitionVersion.status == "published"))}
    for identity, entries in candidates:
        if published.get(key) != identity:
            continue
        for used, form in entries:
            # As load_version checks it: every fragment it was built with is the published one now.
            if {fragment: published[fragment] for fragment in used if fragment in published} == used:
                return form
    return None


def load_version(version_id: int, fragment_versions: dict[str, int] | None = None) -> CompiledForm:
    """A stored version by id, with the given fragment versions (else the published ones)."""
    version = db.session.get(DefinitionVersion, version_id)
    if version is None or version.definition.kind != "form":
        raise FormNotPublished(f"There is no form definition version {version_id}.")
    pinned = dict(fragment_versions or {})
    cache_key = (version.id, version.checksum)
    if version.status != "draft":
        with _CACHE_LOCK:
            candidates = list(_CACHE.get(cache_key, []))
        for used, form in candidates:
            if _fragment_identities(list(used), pinned) == used:
                return form
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
