"""The project-type catalogue: HUD's project types plus a CoC's own local program types.

HUD's types come from :mod:`hmis.hud.codelists` (list 2.02.6), never copied. A local
type (say "Safe Parking") is declared in the admin definition ``project-types``
(shipped as ``admin/project_types.yaml``) with the HUD type it is reported as, and the
projects (HUD ProjectIDs) that run it. Workflows name the types they serve
(``project_types: [safe-parking]``); a project's types are its HUD type (key
``hud-<code>``) plus every local type that lists it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..definitions import DefinitionProblem
from ..hud import codelists

CATALOGUE_KEY = "project-types"
PROJECT_TYPE_LIST = "2.02.6"
SHIPPED = Path(__file__).resolve().parents[3] / "admin" / "project_types.yaml"


@dataclass(frozen=True)
class ProjectType:
    key: str  #: ``hud-1`` for HUD's types, the catalogue's key for local ones
    label: str
    hud_type: int  #: what HUD's reports count it as
    local: bool = False
    description: str = ""
    projects: tuple[str, ...] = ()  #: HUD ProjectIDs running a local type
    unit_label: str = "bed"  #: what one night's place is called on the check-in screen


def hud_key(code: int) -> str:
    return f"hud-{code}"


def hud_types() -> list[ProjectType]:
    current = codelists.get(PROJECT_TYPE_LIST)
    return [ProjectType(hud_key(code), label, code) for code, label in sorted(current.codes.items())
            if code in current.current]


def check_catalogue(body: dict[str, Any], key: str) -> list[DefinitionProblem]:
    """Validator for the admin definition ``project-types`` (other admin keys pass untouched)."""
    if key != CATALOGUE_KEY:
        return []
    entries = body.get("local_types")
    if not isinstance(entries, list):
        return [DefinitionProblem("local_types" if "local_types" in body else "", None,
                                  "'local_types' must be a list of local program types (it may be empty)")]
    problems: list[DefinitionProblem] = []
    valid_hud = codelists.get(PROJECT_TYPE_LIST).current
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        where = f"local_types[{i}]"
        if not isinstance(entry, dict):
            problems.append(DefinitionProblem(where, None, "each local type is a mapping with key, label, hud_type"))
            continue
        type_key = entry.get("key")
        if not isinstance(type_key, str) or not type_key or type_key.startswith("hud-"):
            problems.append(DefinitionProblem(f"{where}.key", None, "key must be text and not start with 'hud-' "
                                                                    "(those are HUD's own types)"))
        elif type_key in seen:
            problems.append(DefinitionProblem(f"{where}.key", None, f"local type '{type_key}' is listed twice"))
        seen.add(str(type_key))
        if not isinstance(entry.get("label"), str) or not entry["label"].strip():
            problems.append(DefinitionProblem(f"{where}.label", None, "label must be non-empty text"))
        hud_type = entry.get("hud_type")
        if isinstance(hud_type, bool) or hud_type not in valid_hud:
            problems.append(DefinitionProblem(f"{where}.hud_type", None,
                                              f"hud_type {hud_type!r} is not a current HUD project type (2.02.6: "
                                              f"{', '.join(str(c) for c in sorted(valid_hud))})"))
        projects = entry.get("projects", [])
        if not isinstance(projects, list) or not all(isinstance(p, str) for p in projects):
            problems.append(DefinitionProblem(f"{where}.projects", None, "projects must be a list of ProjectIDs "
                                                                         "(text)"))
    return problems


def _catalogue_body() -> dict[str, Any]:
    """The published catalogue, else the shipped file (a fresh database, the CLI)."""
    from flask import has_app_context

    if has_app_context():
        from ..definitions import service

        version = service.published("admin", CATALOGUE_KEY)
        if version is not None:
            return version.body
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8")) if SHIPPED.exists() else {"local_types": []}


def local_types() -> list[ProjectType]:
    return [ProjectType(entry["key"], entry["label"], int(entry["hud_type"]), local=True,
                        description=entry.get("description", ""), projects=tuple(entry.get("projects") or ()),
                        unit_label=entry.get("unit_label", "bed"))
            for entry in _catalogue_body().get("local_types") or ()]


def catalogue() -> list[ProjectType]:
    """Every project type: HUD's, then the local ones."""
    return hud_types() + local_types()


def types_of(project: Any) -> list[ProjectType]:
    """A project's types: its HUD type and the local types that list its ProjectID."""
    found = [t for t in hud_types() if t.hud_type == project.project_type]
    found += [t for t in local_types() if project.project_id in t.projects]
    return found


def type_keys_of(project: Any) -> set[str]:
    return {t.key for t in types_of(project)}
