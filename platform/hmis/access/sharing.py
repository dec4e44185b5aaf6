"""The CoC's sharing policy, read once from ``admin/sharing.yaml``.

``HMIS_SHARING_FILE`` points at another copy (a CoC's own, or a test's). A key left
out keeps its default; an unknown key or value stops with a message naming both.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SHIPPED = Path(__file__).resolve().parents[3] / "admin" / "sharing.yaml"

PROFILE_MODES = ("consent", "coc_wide")
CONSENT_SHARES = ("profile", "enrollments")


class SharingFileError(ValueError):
    """``sharing.yaml`` is missing or malformed; the message names the file and the key."""


@dataclass(frozen=True)
class SharingPolicy:
    full_access_roles: frozenset[str] = frozenset({"system_admin", "hmis_lead", "auditor"})
    client_profile: str = "consent"
    consent_shares: frozenset[str] = frozenset({"profile"})
    restricted_name_placeholder: str = "Restricted client"


_KNOWN = {"id", "kind", "title", "full_access_roles", "client_profile", "consent_shares",
          "restricted_name_placeholder"}


def parse(data: Any, where: str = "sharing.yaml") -> SharingPolicy:
    """Check and convert the parsed YAML.

    :raise SharingFileError: naming the key and the problem.
    """
    if not isinstance(data, dict):
        raise SharingFileError(f"{where}: expected a mapping of settings")
    unknown = sorted(set(data) - _KNOWN)
    if unknown:
        raise SharingFileError(f"{where}: unknown key(s) {', '.join(unknown)}; expected {', '.join(sorted(_KNOWN))}")
    policy = SharingPolicy()
    values: dict[str, Any] = {}
    if "full_access_roles" in data:
        roles = data["full_access_roles"]
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise SharingFileError(f"{where}: full_access_roles must be a list of role names")
        values["full_access_roles"] = frozenset(roles)
    if "client_profile" in data:
        if data["client_profile"] not in PROFILE_MODES:
            raise SharingFileError(f"{where}: client_profile is {data['client_profile']!r}; "
                                   f"expected one of {', '.join(PROFILE_MODES)}")
        values["client_profile"] = data["client_profile"]
    if "consent_shares" in data:
        shares = data["consent_shares"]
        if not isinstance(shares, list) or not set(shares) <= set(CONSENT_SHARES) or "profile" not in shares:
            raise SharingFileError(f"{where}: consent_shares must be [profile] or [profile, enrollments]")
        values["consent_shares"] = frozenset(shares)
    if "restricted_name_placeholder" in data:
        text = data["restricted_name_placeholder"]
        if not isinstance(text, str) or not text.strip():
            raise SharingFileError(f"{where}: restricted_name_placeholder must be a non-empty text")
        values["restricted_name_placeholder"] = text.strip()
    return SharingPolicy(**{**policy.__dict__, **values})


@functools.lru_cache(maxsize=None)
def _load(path: str) -> SharingPolicy:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SharingFileError(f"{path}: cannot read the sharing policy: {exc}") from exc
    return parse(data, path)


def policy() -> SharingPolicy:
    """The sharing policy in force."""
    return _load(os.environ.get("HMIS_SHARING_FILE") or str(SHIPPED))
