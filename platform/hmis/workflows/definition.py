"""A published workflow definition as typed, read-only objects the engine walks.

Built from a definition version's body, which publishing has already validated, so
nothing here re-checks the graph; it only gives the engine names instead of dicts.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from ..definitions import service
from ..expressions import Expr, parse
from ..models.definitions import DefinitionVersion
from .schema import field_names


class WorkflowNotFound(LookupError):
    """No published workflow by that key."""


@dataclass(frozen=True)
class Transition:
    to: str
    guard: Expr | None
    guard_text: str | None
    label: str
    because: str | None  #: what to tell a person when the guard does not hold


@dataclass(frozen=True)
class Step:
    id: str
    type: str
    title: str
    help: str
    roles: tuple[str, ...]
    collects: tuple[str, ...]
    actions: tuple[dict[str, Any], ...]
    next: tuple[Transition, ...]
    form: str | None
    stage: str | None
    each_member: bool
    #: a ``choose_project`` step's own project types (HUD ``hud-<code>`` or local keys)
    project_types: tuple[str, ...] = ()

    @property
    def is_end(self) -> bool:
        return self.type == "end"


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    label: str
    code_list: str | None
    required: bool
    help: str


@dataclass(frozen=True)
class Workflow:
    key: str
    title: str
    description: str
    subject: str
    start: str
    version_id: int
    version: int
    fields: dict[str, Field]
    steps: dict[str, Step]
    project_types: tuple[str, ...]
    prioritization: dict[str, Any] | None
    names: dict[str, str]  #: guard names and their kinds

    def step(self, step_id: str) -> Step:
        return self.steps[step_id]


def published(key: str) -> Workflow:
    """The published version of workflow ``key``; :class:`WorkflowNotFound` if there is none."""
    version = service.published("workflow", key)
    if version is None:
        raise WorkflowNotFound(f"no published workflow '{key}'")
    return from_version(version)


def from_version(version: DefinitionVersion) -> Workflow:
    # Published versions never change, so their parsed form is kept; the checksum is in
    # the key because ids repeat across databases (tests, a restored backup).
    cache_key = (version.id, version.checksum)
    built = _built.get(cache_key)
    if built is None:
        if len(_built) > 256:
            _built.clear()
        built = _built[cache_key] = from_body(version.body, version_id=version.id, version=version.version)
    return built


_built: dict[tuple[int, str], Workflow] = {}


def from_body(body: dict[str, Any], *, version_id: int = 0, version: int = 0) -> Workflow:
    fields = {name: Field(name, spec["type"], spec.get("label", name.replace("_", " ").capitalize()),
                          spec.get("code_list"), bool(spec.get("required")), spec.get("help", ""))
              for name, spec in (body.get("fields") or {}).items()}
    steps = {}
    for raw in body["steps"]:
        transitions = tuple(
            Transition(t["to"], parse(t["guard"]) if t.get("guard") else None, t.get("guard"),
                       t.get("label") or f"Continue to {t['to'].replace('_', ' ')}", t.get("because"))
            for t in raw.get("next") or ())
        steps[raw["id"]] = Step(raw["id"], raw["type"], raw.get("title") or raw["id"].replace("_", " ").capitalize(),
                                raw.get("help", ""), tuple(raw.get("roles") or ()), tuple(raw.get("collects") or ()),
                                tuple(raw.get("actions") or ()), transitions, raw.get("form"), raw.get("stage"),
                                bool(raw.get("each_member")),
                                tuple(str(t) for t in raw.get("project_types") or ()))
    return Workflow(body["id"], body["title"], body.get("description", ""), body["subject"], body["start"],
                    version_id, version, fields, steps, tuple(str(t) for t in body.get("project_types") or ()),
                    body.get("prioritization"), field_names(body))


class BadValue(ValueError):
    """A value that does not fit its field; the message names the field."""


def coerce(field: Field, raw: Any) -> Any:
    """A submitted value as the JSON the instance keeps (dates as ISO text), or ``None`` when empty."""
    if raw is None or raw == "" or raw == []:
        return None
    try:
        if field.type == "number":
            number = Decimal(str(raw).strip())
            return int(number) if number == number.to_integral_value() else float(number)
        if field.type == "date":
            return (raw if isinstance(raw, date) else date.fromisoformat(str(raw).strip())).isoformat()
        if field.type == "yes/no":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("yes", "true", "1", "on"):
                return True
            if text in ("no", "false", "0", "off"):
                return False
            raise ValueError(raw)
        if field.type == "list of number":
            # A form sends one value per checkbox, or "3, 7" typed in one box: accept both.
            items = raw if isinstance(raw, (list, tuple)) else [raw]
            numbers = [int(part) for item in items for part in str(item).replace(",", " ").split()]
            return numbers or None
        return str(raw).strip()
    except (ValueError, InvalidOperation, TypeError):
        kind = {"list of number": "a list of numbers", "yes/no": "yes or no"}.get(field.type, f"a {field.type}")
        raise BadValue(f"'{field.label}' must be {kind}, not {str(raw)[:40]!r}") from None


def typed(field: Field | None, stored: Any) -> Any:
    """A stored JSON value back as the kind the expression language expects."""
    if stored is None or field is None:
        return stored
    if field.type == "date":
        return date.fromisoformat(stored)
    if field.type == "number":
        return Decimal(str(stored))
    if field.type == "list of number":
        return [Decimal(item) for item in stored]
    return stored
