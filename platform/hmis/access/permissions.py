"""Roles and their permissions, read once from ``admin/roles.yaml``.

The shipped copy lives in the repository's ``admin/``; ``HMIS_ROLES_FILE`` points at
another (a CoC's own). An unknown role holds no permission.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import yaml

SHIPPED = Path(__file__).resolve().parents[3] / "admin" / "roles.yaml"


class RolesFileError(ValueError):
    """``roles.yaml`` is missing or malformed; the message names the file and the entry."""


@functools.lru_cache(maxsize=None)
def _load(path: str) -> dict[str, dict[str, Any]]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RolesFileError(f"{path}: cannot read roles: {exc}") from exc
    roles = (data or {}).get("roles")
    if not isinstance(roles, dict) or not roles:
        raise RolesFileError(f"{path}: expected a mapping 'roles:' of role name to its permissions")
    for name, role in roles.items():
        perms = (role or {}).get("permissions")
        if not isinstance(perms, list) or not all(isinstance(p, str) for p in perms):
            raise RolesFileError(f"{path}: role {name!r}: 'permissions' must be a list of strings")
    return roles


def roles() -> dict[str, dict[str, Any]]:
    return _load(os.environ.get("HMIS_ROLES_FILE") or str(SHIPPED))


def role_has(role: str, permission: str) -> bool:
    granted = set((roles().get(role) or {}).get("permissions") or ())
    return "*" in granted or permission in granted


def role_label(role: str) -> str:
    return str((roles().get(role) or {}).get("label") or role)


def all_permissions() -> set[str]:
    found: set[str] = set()
    for role in roles().values():
        found.update(p for p in role.get("permissions") or () if p != "*")
    return found


def is_known_permission(permission: str) -> bool:
    return permission in all_permissions()


def two_factor_required(role: str) -> bool:
    """The role signs in with a TOTP code as well as a password (``two_factor_required``)."""
    return bool((roles().get(role) or {}).get("two_factor_required"))


def agency_assignable_roles() -> tuple[str, ...]:
    """Roles an agency administrator may give to their agency's staff."""
    data = _load_document(os.environ.get("HMIS_ROLES_FILE") or str(SHIPPED))
    listed = data.get("agency_assignable_roles") or ("case_manager", "intake")
    return tuple(r for r in listed if r in roles())


@functools.lru_cache(maxsize=None)
def _load_document(path: str) -> dict[str, Any]:
    _load(path)  # the same checks, and the same message for a broken file
    return yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
