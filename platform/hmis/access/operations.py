"""The service layer's front door: who is acting, and may they do this?

Every function that reads or writes client data for a caller (a view, the CLI, a
job, an API) is declared with :func:`operation`, which names the operation and the
permission it needs. The decorator registers it in :data:`OPERATIONS` (a test walks
the registry and fails on an operation without a permission rule) and checks the
actor's role before the body runs. Record-level rules (agency visibility, consent)
are checked inside the operation with :mod:`hmis.access.policy` once it knows the
record.

Operations take the actor as their first argument::

    @operation("clients.create", permission="clients.edit")
    def create_client(actor: Actor, fields: dict) -> Client: ...

The CLI and jobs act as :func:`system_actor` (every permission, recorded by name).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

from . import permissions

F = TypeVar("F", bound=Callable[..., Any])


class PermissionDenied(Exception):
    """The actor may not do this. ``str(exc)`` is safe to show to the user."""

    def __init__(self, message: str, *, operation: str | None = None, permission: str | None = None):
        super().__init__(message)
        self.operation = operation
        self.permission = permission


@dataclass(frozen=True)
class Actor:
    """Who is acting: an account (with its role and organizations) or the system itself."""

    account_id: int | None
    role: str
    organization_ids: frozenset[int] = field(default_factory=frozenset)
    name: str = ""
    is_system: bool = False

    def can(self, permission: str) -> bool:
        return self.is_system or permissions.role_has(self.role, permission)


def system_actor(name: str = "system") -> Actor:
    """The actor for the CLI, imports and scheduled jobs: every permission."""
    return Actor(account_id=None, role="system_admin", name=name, is_system=True)


@dataclass(frozen=True)
class Operation:
    name: str
    permission: str
    function: Callable[..., Any]


#: Every declared operation, by name.
OPERATIONS: dict[str, Operation] = {}


def require(actor: Actor, permission: str, *, operation_name: str | None = None) -> None:
    """Raise :class:`PermissionDenied` unless ``actor`` holds ``permission``."""
    if not isinstance(actor, Actor):
        raise TypeError(f"an operation needs an Actor as its first argument, not {type(actor).__name__}")
    if not actor.can(permission):
        what = operation_name or permission
        raise PermissionDenied(
            f"Your role ({permissions.role_label(actor.role)}) may not do this ({what}).",
            operation=operation_name, permission=permission,
        )


def operation(name: str, *, permission: str) -> Callable[[F], F]:
    """Declare a service operation ``name`` that needs ``permission``."""
    if not permissions.is_known_permission(permission):
        raise ValueError(f"operation {name!r}: unknown permission {permission!r} (see admin/roles.yaml)")

    def decorate(function: F) -> F:
        if name in OPERATIONS and OPERATIONS[name].function.__qualname__ != function.__qualname__:
            raise ValueError(f"operation {name!r} is declared twice")

        @functools.wraps(function)
        def checked(actor: Actor, *args: Any, **kwargs: Any) -> Any:
            require(actor, permission, operation_name=name)
            return function(actor, *args, **kwargs)

        checked.operation_name = name  # type: ignore[attr-defined]
        checked.permission = permission  # type: ignore[attr-defined]
        OPERATIONS[name] = Operation(name, permission, checked)
        return checked  # type: ignore[return-value]

    return decorate
