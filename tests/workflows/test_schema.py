"""Publish-time checks of workflow definitions: graph, guards, roles, fields, actions."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hmis.definitions import check_source
from hmis.definitions.files import check_files

ROOT = Path(__file__).resolve().parents[2]

GOOD = """\
id: tiny
kind: workflow
title: Tiny
subject: household
start: a
fields:
  n: {type: number}
steps:
  - id: a
    type: review
    roles: [case_manager]
    collects: [n]
    next:
      - {to: b, guard: "n > 1"}
      - {to: c}
  - id: b
    type: review
    next: [{to: c}]
  - id: c
    type: end
"""


def problems(text: str, key: str = "tiny") -> list[str]:
    return [f"{p.line}:{p.path}: {p.message}" for p in check_source("workflow", textwrap.dedent(text), key=key).problems]


def test_a_good_workflow_has_no_problems():
    assert problems(GOOD) == []


def test_shipped_workflows_and_catalogue_are_valid():
    results = check_files([ROOT / "workflows", ROOT / "admin" / "project_types.yaml"])
    assert len(results) >= 7
    assert {str(r.path.name): [p.message for p in r.problems] for r in results if r.problems} == {}


def test_unreachable_step_is_named():
    text = GOOD + "  - id: orphan\n    type: review\n    next: [{to: c}]\n"
    found = problems(text)
    assert any("steps[3]" in p and "'orphan' cannot be reached from the start step 'a'" in p for p in found), found


def test_dead_end_is_named():
    text = GOOD.replace("    next: [{to: c}]\n", "")  # b now has no way on
    found = problems(text)
    assert any("steps[1]" in p and "'b' is a dead end" in p for p in found), found


def test_loop_without_end_is_a_dead_end():
    text = GOOD.replace("    next: [{to: c}]\n", "    next: [{to: d}]\n  - id: d\n    type: review\n    next: [{to: b}]\n")
    found = problems(text)
    assert any("'b' is a dead end: no end step can be reached" in p for p in found), found
    assert any("'d' is a dead end: no end step can be reached" in p for p in found), found


def test_bad_guard_is_reported_at_its_line():
    found = problems(GOOD.replace('"n > 1"', '"nn > 1"'))
    assert len(found) == 1
    assert found[0].startswith("14:steps[0].next[0].guard") and "unknown name 'nn'" in found[0], found


def test_guard_must_be_yes_no():
    found = problems(GOOD.replace('"n > 1"', '"n + 1"'))
    assert found and "steps[0].next[0].guard" in found[0]


def test_unknown_role_and_target_and_field():
    text = GOOD.replace("[case_manager]", "[case_manger]").replace("{to: c}]", "{to: z}]").replace(
        "collects: [n]", "collects: [n, m]")
    found = "\n".join(problems(text))
    assert "unknown role 'case_manger'" in found
    assert "goes to 'z', which is not one of the steps" in found
    assert "'m' is not declared under 'fields'" in found


def test_action_needs_its_fields_declared():
    text = GOOD.replace("    type: review\n    next: [{to: c}]", "    type: review\n    actions: [{do: create_enrollment}]\n"
                        "    next: [{to: c}]")
    found = problems(text)
    assert any("create_enrollment" in p and "'project_id'" in p and "'member_ids'" in p for p in found), found


def test_no_end_step_and_bad_start():
    found = "\n".join(problems(GOOD.replace("type: end", "type: review").replace("start: a", "start: q")))
    assert "no end step" in found
    assert "start step 'q' is not one of the steps" in found


@pytest.mark.parametrize("hud_type, ok", [(1, True), (5, False), (99, False)])
def test_project_type_catalogue_checks_hud_type(hud_type, ok):
    text = f"id: project-types\nkind: admin\ntitle: T\nlocal_types:\n  - {{key: lot, label: Lot, hud_type: {hud_type}}}\n"
    found = check_source("admin", text, key="project-types").problems
    assert (found == []) is ok, found


def test_project_types_must_be_in_the_catalogue():
    found = problems(GOOD.replace("start: a", "project_types: [hud-1, safe-parking, car-camp]\nstart: a"))
    assert len(found) == 1 and "project_types[2]" in found[0] and "'car-camp' is not a project type" in found[0]


def test_the_example_in_the_workflow_guide_is_valid():
    import re

    guide = (ROOT / "docs" / "workflows.md").read_text(encoding="utf-8")
    example = re.findall(r"```yaml\n(.*?)```", guide, re.S)[0]
    assert problems(example, key="quick-exit") == []
