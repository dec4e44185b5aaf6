"""The main navigation: one list, filtered by what exists and what the account may do.

Rooms add their screens by endpoint name here; an entry whose endpoint is not
registered (a room not built yet) or whose permission the account lacks is left out.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request

from ..access import permissions


@dataclass(frozen=True)
class NavEntry:
    endpoint: str
    label: str
    #: Blueprints (``"reports"``) or endpoints (``"pages.client"``) that mark the entry current.
    active: tuple[str, ...]
    permission: str | None = None


NAV = (
    NavEntry("pages.home", "Home", ("pages.home",)),
    NavEntry("pages.clients", "Clients", ("pages.clients", "pages.client", "records"), "clients.view"),
    NavEntry("workflows.index", "Workflows", ("workflows",), "workflows.run"),
    NavEntry("pages.projects", "Projects", ("pages.projects", "pages.project"), None),
    NavEntry("pages.organizations", "Organizations", ("pages.organizations", "pages.organization"), None),
    NavEntry("reports.index", "Reports", ("reports",), "reports.run"),
    NavEntry("duplicates.index", "Duplicates", ("duplicates",), "duplicates.review"),
    NavEntry("interchange.index", "Imports", ("interchange",), "imports.run"),
    NavEntry("exports.index", "Exports", ("exports",), "exports.run"),
    NavEntry("definitions.index", "Definitions", ("definitions", "forms"), "definitions.view"),
    NavEntry("access.accounts", "Users", ("access",), "accounts.manage_agency"),
    NavEntry("audit.index", "Audit", ("audit",), "audit.view"),
)


def entries_for(account) -> list[tuple[NavEntry, bool]]:
    """The entries ``account`` sees, each with whether it is the current page."""
    shown = []
    for entry in NAV:
        if entry.endpoint not in current_app.view_functions:
            continue
        if entry.permission and not permissions.role_has(account.role, entry.permission):
            continue
        current = request.endpoint in entry.active or request.blueprint in entry.active
        shown.append((entry, current))
    return shown
