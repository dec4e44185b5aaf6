"""Which form applies to which project and stage: ``admin/form_rules.yaml``.

Each rule names a ``form`` for a ``stage`` and may narrow it to project types,
funders or particular projects. Rules fill *slots* (by default the stage itself; a
local add-on form uses its own slot, e.g. ``local-extra``): within a slot the most
specific matching rule wins (a named project beats a funder, which beats a project
type, which beats a rule for every project); ``form: none`` switches a slot off.
The rules are read from the published ``form-rules`` admin definition when there is
one (an HMIS lead edits it in the browser), else from the shipped file.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from flask import has_app_context

from ..models import Project
from .context import funders_of
from .items import STAGES

__all__ = ["Applicable", "FormRule", "RULES_KEY", "RulesError", "applicable", "load_rules", "rule_problems"]

RULES_KEY = "form-rules"


class RulesError(ValueError):
    """The rules file is broken; the message lists every problem."""


@dataclass(frozen=True)
class FormRule:
    id: str
    form: str | None  #: None: the slot is switched off
    stage: str
    slot: str
    project_types: tuple[int, ...] = ()
    funders: tuple[int, ...] = ()
    projects: tuple[str, ...] = ()  #: HUD ProjectIDs
    why: str = ""
    position: int = 0

    @property
    def specificity(self) -> int:
        return 100 * bool(self.projects) + 10 * bool(self.funders) + bool(self.project_types)

    def matches(self, project: Project | None, funders: list[int]) -> bool:
        if self.projects and (project is None or project.project_id not in self.projects):
            return False
        if self.funders and not set(self.funders) & set(funders):
            return False
        if self.project_types and (project is None or project.project_type not in self.project_types):
            return False
        return True

    def describe(self) -> str:
        parts = []
        if self.projects:
            parts.append("project " + ", ".join(self.projects))
        if self.funders:
            parts.append("funder " + ", ".join(str(f) for f in self.funders))
        if self.project_types:
            parts.append("project type " + ", ".join(str(t) for t in self.project_types))
        return " and ".join(parts) or "every project"


@dataclass(frozen=True)
class Applicable:
    """A form that applies, the rule that chose it, why, and the rules it beat."""

    form: str
    slot: str
    rule: FormRule
    why: str
    overridden: tuple[FormRule, ...] = ()


def rules_file() -> Path:
    import hmis

    return Path(hmis.__file__).resolve().parents[2] / "admin" / "form_rules.yaml"


def rule_problems(body: Any) -> list[str]:
    """Every problem of a rules document, as text (empty when it is good)."""
    if not isinstance(body, dict) or not isinstance(body.get("rules"), list):
        return ["form rules need a list called 'rules'"]
    problems = []
    seen = set()
    for index, raw in enumerate(body["rules"]):
        where = f"rules[{index}]"
        if not isinstance(raw, dict):
            problems.append(f"{where}: a rule is a mapping")
            continue
        unknown = set(raw) - {"id", "form", "stage", "slot", "project_types", "funders", "projects", "why"}
        if unknown:
            problems.append(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        if not isinstance(raw.get("id"), str):
            problems.append(f"{where}: a rule needs an id")
        elif raw["id"] in seen:
            problems.append(f"{where}: the id '{raw['id']}' is used twice")
        else:
            seen.add(raw["id"])
        if raw.get("stage") not in STAGES:
            problems.append(f"{where}: stage must be one of {', '.join(STAGES)}")
        if "form" not in raw or not (raw["form"] is None or isinstance(raw["form"], str)):
            problems.append(f"{where}: form must name a form definition (or be none)")
        for name in ("project_types", "funders"):
            if name in raw and not (isinstance(raw[name], list) and all(isinstance(v, int) for v in raw[name])):
                problems.append(f"{where}: {name} must be a list of HUD codes")
        if "projects" in raw and not (isinstance(raw["projects"], list)
                                      and all(isinstance(v, str) for v in raw["projects"])):
            problems.append(f"{where}: projects must be a list of ProjectIDs (text)")
    return problems


def _parse(body: dict[str, Any]) -> list[FormRule]:
    return [FormRule(id=raw["id"], form=None if raw["form"] in (None, "none") else raw["form"], stage=raw["stage"],
                     slot=raw.get("slot") or raw["stage"], project_types=tuple(raw.get("project_types", ())),
                     funders=tuple(raw.get("funders", ())), projects=tuple(raw.get("projects", ())),
                     why=str(raw.get("why", "")), position=index)
            for index, raw in enumerate(body["rules"])]


def load_rules(body: dict[str, Any] | None = None) -> list[FormRule]:
    """The rules in force: ``body`` if given, else the published ``form-rules`` admin
    definition, else ``admin/form_rules.yaml``. :raise RulesError: listing every problem."""
    if body is None and has_app_context():
        from ..definitions import service

        identity = _published_identity()
        parsed = _PARSED.get(identity) if identity is not None else None
        if parsed is not None:
            return list(parsed)
        published = service.published("admin", RULES_KEY) if identity is not None else None
        if published is not None:
            body = published.body
            rules = _checked(body)
            _PARSED.clear()  # only the version in force is worth keeping (readers use .get: no lock needed)
            _PARSED[(published.id, published.checksum)] = tuple(rules)
            return rules
    if body is None:
        return _file_rules()
    return _checked(body)


#: The file's rules, parsed, by (path, modification time, size): with no published
#: definition, every page would otherwise read and parse the YAML again (3-5 ms).
_FROM_FILE: dict[tuple[str, int, int], tuple[FormRule, ...]] = {}


def _file_rules() -> list[FormRule]:
    path = rules_file()
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    parsed = _FROM_FILE.get(key)
    if parsed is None:  # a file with problems is not kept: it raises each time, until fixed
        parsed = tuple(_checked(yaml.safe_load(path.read_text("utf-8"))))
        _FROM_FILE.clear()  # only the file as it is now is worth keeping (readers use .get: no lock needed)
        _FROM_FILE[key] = parsed
    return list(parsed)


def _checked(body: Any) -> list[FormRule]:
    problems = rule_problems(body)
    if problems:
        raise RulesError("The form rules have problems: " + "; ".join(problems))
    return _parse(body)


#: The published rules, parsed, by (version id, checksum): a published version never
#: changes, so a page asks the database only which version is in force (not for its body).
_PARSED: dict[tuple[int, str], tuple[FormRule, ...]] = {}


def _published_identity() -> tuple[int, str] | None:
    from .loading import published_snapshot

    return published_snapshot().get(("admin", RULES_KEY))


def applicable(project: Project | None, stage: str, *, funders: list[int] | None = None,
               rules: list[FormRule] | None = None) -> list[Applicable]:
    """The forms that apply to ``project`` at ``stage``, one per slot, with the rule that
    chose each and why (most specific wins; ties go to the later rule in the file)."""
    if funders is None:
        funders = funders_of(project)
    rules = load_rules() if rules is None else rules
    by_slot: dict[str, list[FormRule]] = {}
    for rule in rules:
        if rule.stage == stage and rule.matches(project, funders):
            by_slot.setdefault(rule.slot, []).append(rule)
    found = []
    for slot, candidates in by_slot.items():
        candidates.sort(key=lambda r: (r.specificity, r.position), reverse=True)
        winner = candidates[0]
        if winner.form is None:
            continue
        why = f"rule '{winner.id}' ({winner.describe()})" + (f": {winner.why}" if winner.why else "")
        found.append(Applicable(winner.form, slot, winner, why, tuple(candidates[1:])))
    return sorted(found, key=lambda a: a.rule.position)
