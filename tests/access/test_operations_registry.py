"""Every service operation has a permission rule and checks it; every public function in
the package that acts for a caller (takes an actor) is a declared operation, or is listed
below with the reason it is not, and that list may not go stale."""
from __future__ import annotations

import importlib
import inspect
import pkgutil
from datetime import date

import pytest

import hmis
from hmis.access import permissions
from hmis.access.operations import OPERATIONS, Actor, PermissionDenied

#: Modules whose public functions take an actor but *are* the rules (or thin wrappers
#: of them), not operations: they decide, they do not read or write for the caller.
RULE_MODULES = {"hmis.access.policy", "hmis.records.visibility", "hmis.access.operations"}

#: Single functions that take an actor but are not operations, each with why. A helper
#: that only calls operations is listed here and proved to refuse below.
NOT_OPERATIONS = {
    "hmis.access.admin.assignable_roles": "which roles a form offers; assign() checks again",
    "hmis.identity.merge.check_policy": "a rule: raises PermissionDenied inside the merge operations",
    "hmis.records.stamps.hud_user_id": "bookkeeping: the actor only names who wrote a HUD row",
    "hmis.workflows.actions.run_all": "dispatches to ACTIONS, each of which checks its own permission",
    "hmis.workflows.engine.may_do": "a rule: may this role take this step",
    "hmis.workflows.intake_steps.check_project_choice": "a rule: may the actor choose this project",
    "hmis.workflows.intake_steps.project_choices": "the actor's own agency's projects and beds; no client data",
    "hmis.workflows.views.find_clients": "calls the records operation search_clients",
    "hmis.forms.sharing.check_writable": "a rule: raises PermissionDenied for a member the actor may not write",
    "hmis.records.living_situation.record": "calls the operation assessments.save for each CLS form",
    "hmis.records.profile.save_page": "calls the operation assessments.save for each profile form",
    "hmis.reports.service.can_see_run": "a rule: did the actor run it, or do they see everything",
    "hmis.reports.service.visible_runs": "a rule, as a query: the runs can_see_run admits",
}
SKIPPED_PACKAGES = ("hmis.migrations",)
NOBODY = Actor(account_id=None, role="no_such_role")


def _all_modules():
    found = []
    for info in pkgutil.walk_packages(hmis.__path__, prefix="hmis."):
        if info.name.startswith(SKIPPED_PACKAGES) or info.name.endswith("__main__"):
            continue
        found.append(importlib.import_module(info.name))
    return found


@pytest.fixture(scope="module")
def modules():
    return _all_modules()


def test_every_operation_names_a_permission_some_role_holds(modules):
    assert OPERATIONS, "no operations registered"
    granted = {p for role in permissions.roles().values() for p in role.get("permissions") or ()}
    for name, op in sorted(OPERATIONS.items()):
        assert op.permission, f"operation {name} has no permission"
        assert permissions.is_known_permission(op.permission), f"{name}: unknown permission {op.permission}"
        assert op.permission in granted, f"{name}: no role holds {op.permission}"


def _takes_actor_first(function) -> bool:
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return False
    if not parameters:
        return False
    first = parameters[0]
    return first.name == "actor" or first.annotation in (Actor, "Actor")


def _public_functions(modules):
    for module in modules:
        for name, function in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(function):
                continue
            # a decorated operation keeps its module in __module__ (functools.wraps)
            if function.__module__ == module.__name__:
                yield f"{module.__name__}.{name}", function


def test_every_public_function_acting_for_a_caller_is_an_operation(modules):
    from hmis.workflows.actions import ACTIONS

    # workflow actions check their own permission (tested below)
    declared = {op.function for op in OPERATIONS.values()} | set(ACTIONS.values())
    missing = sorted(qualified for qualified, function in _public_functions(modules)
                     if qualified.rsplit(".", 1)[0] not in RULE_MODULES and qualified not in NOT_OPERATIONS
                     and _takes_actor_first(function) and function not in declared)
    assert missing == [], ("these take an actor but are not declared with @operation "
                           f"(no permission is checked): {', '.join(missing)}")


def test_the_list_of_exceptions_names_only_functions_that_exist(modules):
    existing = {qualified for qualified, function in _public_functions(modules) if _takes_actor_first(function)}
    stale = sorted(set(NOT_OPERATIONS) - existing)
    assert stale == [], f"NOT_OPERATIONS names functions that no longer exist or take no actor: {stale}"


def test_operations_refuse_a_role_without_the_permission(modules):
    for name, op in sorted(OPERATIONS.items()):
        with pytest.raises(PermissionDenied):
            op.function(NOBODY)


def test_every_workflow_action_checks_a_permission_before_it_runs():
    from hmis.workflows.actions import ACTIONS

    assert ACTIONS
    for name, action in sorted(ACTIONS.items()):
        assert permissions.is_known_permission(getattr(action, "permission", "")), f"action {name}: no permission"
        with pytest.raises(PermissionDenied):
            action(NOBODY, None, {}, {}, date(2026, 1, 1), None)


def test_every_scheduled_task_is_an_operation():
    from hmis.workflows.scheduler import TASKS

    declared = {op.function for op in OPERATIONS.values()}
    assert TASKS and all(task in declared for task in TASKS.values())


def test_helpers_that_call_operations_refuse_a_role_without_the_permission(app):
    from hmis.workflows.views import find_clients

    with app.app_context():
        with pytest.raises(PermissionDenied):
            find_clients(NOBODY, "Ana")
