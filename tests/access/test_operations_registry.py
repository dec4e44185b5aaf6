"""Every service operation has a permission rule and checks it; in the service modules,
every public function that acts for a caller is a declared operation.

Other rooms' helpers that take an actor and run *inside* an operation (workflow
actions, merge checks) are not operations; the strict check covers the access room
and every module named ``services``/``service``, where a public function taking an
actor is the front door itself."""
from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import hmis
from hmis.access import permissions
from hmis.access.operations import OPERATIONS, Actor, PermissionDenied

#: Modules whose public functions take an actor but *are* the rules (or thin wrappers
#: of them), not operations: they decide, they do not read or write for the caller.
RULE_MODULES = {"hmis.access.policy", "hmis.records.visibility", "hmis.access.operations"}
#: Single functions of that kind elsewhere, with why.
RULE_FUNCTIONS = {
    "hmis.access.admin.assignable_roles",  # which roles a form offers; assign() checks again
}
SKIPPED_PACKAGES = ("hmis.migrations",)


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


def _is_service_module(name: str) -> bool:
    return name.startswith("hmis.access.") or name.rsplit(".", 1)[-1] in ("services", "service")


def test_every_public_function_acting_for_a_caller_is_an_operation(modules):
    declared = {op.function for op in OPERATIONS.values()}
    missing = []
    for module in modules:
        if module.__name__ in RULE_MODULES or not _is_service_module(module.__name__):
            continue
        for name, function in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(function) or function.__module__ != module.__name__:
                continue
            if f"{module.__name__}.{name}" in RULE_FUNCTIONS:
                continue
            if _takes_actor_first(function) and function not in declared:
                missing.append(f"{module.__name__}.{name}")
    assert missing == [], ("these take an actor but are not declared with @operation "
                           f"(no permission is checked): {', '.join(missing)}")


def test_operations_refuse_a_role_without_the_permission(modules):
    nobody = Actor(account_id=None, role="no_such_role")
    for name, op in sorted(OPERATIONS.items()):
        with pytest.raises(PermissionDenied):
            op.function(nobody)
