"""The audit log page: search and download, for the HMIS lead, system admins and auditors.

Read-only on purpose: there is no route that edits or deletes an event.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, request, stream_with_context

from ..web.auth import current_account
from . import audit

TEMPLATES = str(Path(__file__).resolve().parents[1] / "web" / "templates")

bp = Blueprint("audit", __name__, template_folder=TEMPLATES)


@bp.before_request
def _require_audit_role():
    # The permission in admin/roles.yaml decides (one source of truth with the nav).
    from .permissions import role_has

    account = current_account()
    if account is None or not role_has(account.role, "audit.view"):
        abort(403)


@bp.app_template_filter("audit_details")
def audit_details(details) -> str:
    return audit.format_details(details)


@bp.get("/audit")
def index():
    filters = audit.AuditFilters.from_args(request.args)
    page = audit.search(filters, request.args.get("page", 1, type=int),
                        current_app.config.get("PAGE_SIZE", 50))
    args = filters.as_args()
    if request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"):
        return render_template("audit/_rows.html", page=page, filters=filters, args=args)
    return render_template("audit/index.html", page=page, filters=filters, args=args,
                           actions=audit.known_actions())


@bp.get("/audit/events.csv")
def download():
    filters = audit.AuditFilters.from_args(request.args)
    audit.record("audit.export", details={k: v for k, v in filters.as_args().items() if v}, commit=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return Response(
        stream_with_context(audit.events_csv(filters)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'},
    )
