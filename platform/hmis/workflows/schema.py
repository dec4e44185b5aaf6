"""What a good workflow definition is: its JSON Schema and the checks a schema cannot make.

Imported by the definitions registry (``registry.PROVIDERS``), with no app and no
database, so ``hmis definitions validate workflows/`` and publishing apply the same rules:

* every step can be reached from ``start`` (an unreachable step is named);
* every step that is not an ``end`` step has a way on, and an end can be reached from it
  (a dead end is named);
* every guard is a yes/no rule in the shared expression language, over the workflow's
  declared ``fields`` and the context names in :data:`CONTEXT_NAMES`;
* every role is a role of ``admin/roles.yaml``; every action is known and has the fields
  it reads declared.

A workflow in brief (``workflows/*.yaml`` are the shipped examples)::

    id: project-intake
    kind: workflow
    title: Project intake
    subject: household            # what one instance is about
    start: search
    fields:                       # what the steps collect; guards read these by name
      member_ids: {type: list of number, label: Household members}
    steps:
      - id: search
        type: client_search
        roles: [intake, case_manager]
        collects: [member_ids]
        next:
          - to: review
            guard: "household.size > 0"
      - id: review
        type: review
        actions: [{do: create_enrollment}]
        next: [{to: done}]
      - id: done
        type: end
"""
from __future__ import annotations

from collections import deque
from typing import Any

from ..definitions import DefinitionProblem, expression_problems, register_schema, register_validator

#: What a step is, for the screen that shows it. ``end`` finishes the workflow.
STEP_TYPES = ("form", "client_search", "household", "choose_project", "choose_unit", "review",
              "assessment", "referral", "check_in", "exit", "end")

#: The kinds a declared field may have (those of :mod:`hmis.expressions`).
FIELD_TYPES = ("number", "text", "date", "yes/no", "list of number")

SUBJECTS = ("household", "enrollment", "client", "project")

#: Names every guard may use besides the workflow's fields, with their kinds. The engine
#: fills them from the instance's project and household (see ``engine.guard_values``).
CONTEXT_NAMES: dict[str, str] = {
    "project.type": "number",  #: HUD ProjectType (2.02.6) of the instance's project
    "project.funders": "list of number",
    "household.size": "number",  #: members chosen so far (``member_ids``)
    "workflow.step_count": "number",  #: steps done so far
    #: at a form step: member-and-form pairs still without a submitted response (null elsewhere)
    "forms.missing": "number",
}

#: Each action and the fields it reads from the instance (they must be declared).
ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "create_enrollment": ("project_id", "member_ids", "member_relationships", "entry_date"),
    "close_enrollment": ("exit_date", "destination"),
    "record_ce_assessment": ("assessment_date", "assessment_level", "prioritization_status"),
    "record_ce_event": ("event_date",),
    "check_in": ("night", "enrollment_ids"),
    "enqueue_job": (),
    "schedule_due": (),
    "notify": (),
}

#: Jobs an ``enqueue_job`` action may start, by name: a definition never names Python code.
JOB_NAMES = ("schedule.annual_due", "schedule.consent_expirations", "schedule.data_quality")

_TEXT = {"type": "string", "minLength": 1}
_NAME = {"type": "string", "pattern": r"^[a-z][a-z0-9_]{0,59}$"}

WORKFLOW_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["id", "kind", "title", "subject", "start", "steps"],
    "additionalProperties": False,
    "properties": {
        "id": _TEXT, "kind": {"const": "workflow"}, "title": _TEXT,
        "version": {"type": ["string", "integer"]},
        "description": {"type": "string"},
        "subject": {"enum": list(SUBJECTS)},
        "project_types": {"type": "array", "items": {"type": ["string", "integer"]}, "minItems": 1},
        "start": _TEXT,
        "fields": {
            "type": "object",
            "propertyNames": _NAME,
            "additionalProperties": {
                "type": "object", "required": ["type"], "additionalProperties": False,
                "properties": {"type": {"enum": list(FIELD_TYPES)}, "label": _TEXT, "code_list": _TEXT,
                               "required": {"type": "boolean"}, "help": {"type": "string"}},
            },
        },
        "steps": {
            "type": "array", "minItems": 1,
            "items": {
                "type": "object", "required": ["id", "type"], "additionalProperties": False,
                "properties": {
                    "id": _NAME, "type": {"enum": list(STEP_TYPES)}, "title": _TEXT,
                    "help": {"type": "string"},
                    "roles": {"type": "array", "items": _TEXT, "minItems": 1},
                    "collects": {"type": "array", "items": _NAME},
                    "form": _TEXT,  #: a form key, or "applicable" (the forms the form rules pick)
                    "stage": {"enum": ["project_start", "update", "annual", "exit", "post_exit", "ce_assessment", "local"]},
                    "each_member": {"type": "boolean"},
                    #: a choose_project step lists only projects of these types
                    "project_types": {"type": "array", "items": {"type": ["string", "integer"]}, "minItems": 1},
                    "actions": {"type": "array", "items": {"$ref": "#/$defs/action"}},
                    "next": {
                        "type": "array",
                        "items": {"type": "object", "required": ["to"], "additionalProperties": False,
                                  "properties": {"to": _TEXT, "guard": {"type": "string"}, "label": _TEXT,
                                                 "because": _TEXT}},
                    },
                },
            },
        },
        "prioritization": {
            "type": "object", "required": ["step", "order_by"], "additionalProperties": False,
            "properties": {
                "step": _TEXT, "include": {"type": "string"},
                "order_by": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["rule"], "additionalProperties": False,
                    "properties": {"rule": {"type": "string"}, "label": _TEXT,
                                   "direction": {"enum": ["asc", "desc"]}}}},
            },
        },
    },
    "$defs": {
        "action": {
            "type": "object", "required": ["do"], "additionalProperties": False,
            "properties": {
                "do": {"enum": list(ACTION_FIELDS)},
                "job": {"enum": list(JOB_NAMES)},
                "kind": _NAME, "title": _TEXT, "in_days": {"type": "integer", "minimum": 0},
                "queue": _TEXT, "to": {"enum": ["started_by", "step_actor"]}, "message": _TEXT,
                "event": {"type": "integer"}, "when": {"type": "string"},
            },
        },
    },
}


def field_names(body: dict[str, Any]) -> dict[str, str]:
    """The names a guard in ``body`` may use, with their kinds."""
    names = dict(CONTEXT_NAMES)
    for name, spec in (body.get("fields") or {}).items():
        names[name] = spec["type"]
    return names


def check_workflow(body: dict[str, Any], key: str) -> list[DefinitionProblem]:
    """The graph, the guards, the roles, the fields and the actions of one workflow."""
    problems: list[DefinitionProblem] = []
    steps = body["steps"]
    index = {step["id"]: i for i, step in enumerate(steps)}
    names = field_names(body)
    declared = set(body.get("fields") or {})

    seen: set[str] = set()
    for i, step in enumerate(steps):
        if step["id"] in seen:
            problems.append(DefinitionProblem(f"steps[{i}].id", None, f"step id '{step['id']}' is used twice"))
        seen.add(step["id"])
    if body["start"] not in index:
        problems.append(DefinitionProblem("start", None, f"start step '{body['start']}' is not one of the steps"))

    known_roles = _known_roles()
    for i, step in enumerate(steps):
        where = f"steps[{i}]"
        for j, role in enumerate(step.get("roles") or ()):
            if known_roles is not None and role not in known_roles:
                problems.append(DefinitionProblem(f"{where}.roles[{j}]", None, f"unknown role '{role}' (roles are: "
                                                  f"{', '.join(sorted(known_roles))})"))
        for j, name in enumerate(step.get("collects") or ()):
            if name not in declared:
                problems.append(DefinitionProblem(f"{where}.collects[{j}]", None,
                                                  f"'{name}' is not declared under 'fields'"))
        for j, transition in enumerate(step.get("next") or ()):
            if transition["to"] not in index:
                problems.append(DefinitionProblem(f"{where}.next[{j}].to", None,
                                                  f"step '{step['id']}' goes to '{transition['to']}', "
                                                  "which is not one of the steps"))
            if "guard" in transition:
                problems += expression_problems(transition["guard"], names, f"{where}.next[{j}].guard",
                                                expect="yes/no")
        if step["type"] == "end" and step.get("next"):
            problems.append(DefinitionProblem(f"{where}.next", None, f"end step '{step['id']}' cannot go on"))
        if step["type"] == "form" and "form" not in step:
            problems.append(DefinitionProblem(where, None, f"form step '{step['id']}' needs 'form' (a form key "
                                                           "or 'applicable') and 'stage'"))
        for j, action in enumerate(step.get("actions") or ()):
            problems += _action_problems(action, f"{where}.actions[{j}]", declared, names)

    problems += _project_type_problems(body)
    problems += _graph_problems(body, index)
    problems += _prioritization_problems(body, index, names)
    return problems


def _action_problems(action: dict[str, Any], where: str, declared: set[str],
                     names: dict[str, str]) -> list[DefinitionProblem]:
    problems = []
    missing = [name for name in ACTION_FIELDS[action["do"]] if name not in declared]
    if missing:
        problems.append(DefinitionProblem(where, None, f"action '{action['do']}' reads "
                                          f"{', '.join(repr(m) for m in missing)}: declare "
                                          f"{'it' if len(missing) == 1 else 'them'} under 'fields'"))
    if action["do"] == "enqueue_job" and "job" not in action:
        problems.append(DefinitionProblem(where, None, f"enqueue_job needs 'job' (one of {', '.join(JOB_NAMES)})"))
    if action["do"] == "notify" and not (action.get("queue") or action.get("to")):
        problems.append(DefinitionProblem(where, None, "notify needs 'queue' (a work queue's name) or 'to'"))
    if action["do"] == "notify" and not action.get("message"):
        problems.append(DefinitionProblem(where, None, "notify needs a 'message'"))
    if action["do"] == "schedule_due" and not (action.get("kind") and action.get("title")):
        problems.append(DefinitionProblem(where, None, "schedule_due needs 'kind' and 'title'"))
    if action["do"] == "record_ce_event" and "event" not in action:
        problems.append(DefinitionProblem(where, None, "record_ce_event needs 'event' (a HUD EventType code, 4.20.2)"))
    if "when" in action:
        problems += expression_problems(action["when"], names, f"{where}.when", expect="yes/no")
    return problems


def _graph_problems(body: dict[str, Any], index: dict[str, int]) -> list[DefinitionProblem]:
    """Unreachable steps and dead ends, each named, at its own step."""
    steps = body["steps"]
    edges = {step["id"]: [t["to"] for t in step.get("next") or () if t["to"] in index] for step in steps}
    problems = []
    if not any(step["type"] == "end" for step in steps):
        problems.append(DefinitionProblem("steps", None, "there is no end step (type: end): the workflow can "
                                                         "never finish"))
    reachable = _closure([body["start"]] if body["start"] in index else [], edges)
    ends = [step["id"] for step in steps if step["type"] == "end"]
    backwards: dict[str, list[str]] = {name: [] for name in edges}
    for source, targets in edges.items():
        for target in targets:
            backwards[target].append(source)
    can_finish = _closure(ends, backwards)
    for step_id, i in index.items():
        step = steps[i]
        if step_id not in reachable and body["start"] in index:
            problems.append(DefinitionProblem(f"steps[{i}]", None, f"step '{step_id}' cannot be reached from the "
                                                                   f"start step '{body['start']}'"))
        if step["type"] != "end" and not edges[step_id]:
            problems.append(DefinitionProblem(f"steps[{i}]", None, f"step '{step_id}' is a dead end: it is not an "
                                                                   "end step and has no 'next'"))
        elif step["type"] != "end" and ends and step_id not in can_finish:
            problems.append(DefinitionProblem(f"steps[{i}]", None, f"step '{step_id}' is a dead end: no end step "
                                                                   "can be reached from it"))
    return problems


def _project_type_problems(body: dict[str, Any]) -> list[DefinitionProblem]:
    """Every type named must be in the catalogue (HUD's ``hud-<code>`` or a local key)."""
    from .project_types import catalogue

    known = {t.key for t in catalogue()} | {str(t.hud_type) for t in catalogue() if not t.local}
    named = [(f"project_types[{i}]", name) for i, name in enumerate(body.get("project_types") or ())]
    named += [(f"steps[{s}].project_types[{i}]", name) for s, step in enumerate(body["steps"])
              for i, name in enumerate(step.get("project_types") or ())]
    problems = [DefinitionProblem(where, None, f"'{name}' is not a project type in the catalogue "
                                  "(HUD's are hud-0 ... hud-14; local ones are in admin/project_types.yaml)")
                for where, name in named if str(name) not in known]
    problems += [DefinitionProblem(f"steps[{s}].project_types", None, f"only a choose_project step lists projects; "
                                   f"step '{step['id']}' is a {step['type']} step")
                 for s, step in enumerate(body["steps"]) if step.get("project_types")
                 and step["type"] != "choose_project"]
    return problems


def _closure(starts: list[str], edges: dict[str, list[str]]) -> set[str]:
    found, queue = set(starts), deque(starts)
    while queue:
        for target in edges.get(queue.popleft(), ()):
            if target not in found:
                found.add(target)
                queue.append(target)
    return found


def _prioritization_problems(body: dict[str, Any], index: dict[str, int],
                             names: dict[str, str]) -> list[DefinitionProblem]:
    rules = body.get("prioritization")
    if not rules:
        return []
    problems = []
    if rules["step"] not in index:
        problems.append(DefinitionProblem("prioritization.step", None,
                                          f"'{rules['step']}' is not one of the steps"))
    if "include" in rules:
        problems += expression_problems(rules["include"], names, "prioritization.include", expect="yes/no")
    for i, order in enumerate(rules["order_by"]):
        problems += expression_problems(order["rule"], names, f"prioritization.order_by[{i}].rule")
    return problems


def _known_roles() -> set[str] | None:
    from ..access import permissions

    try:
        return set(permissions.roles())
    except permissions.RolesFileError:
        return None  # the roles file's own check reports it


register_schema("workflow", WORKFLOW_SCHEMA)
register_validator("workflow", check_workflow)

# The project-type catalogue is an admin definition this room reads; its checks live here.
from . import project_types  # noqa: E402

register_validator("admin", project_types.check_catalogue)
