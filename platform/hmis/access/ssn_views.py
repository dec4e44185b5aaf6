"""Revealing a client's whole SSN on their page (roles with ``clients.view_ssn``; audited).

The page shows the masked form; the button posts here and gets back the cell with the
number (an htmx partial). The rule and the audit entry live in
:func:`hmis.access.sensitive.reveal_client_ssn`.
"""
from __future__ import annotations

from flask import Blueprint, abort, render_template

from ..extensions import db
from ..models import Client
from ..web.auth import current_actor
from . import sensitive

bp = Blueprint("ssn", __name__, template_folder="templates")


@bp.post("/clients/<int:id>/ssn")
def reveal(id: int):
    client = db.session.get(Client, id)
    if client is None or client.date_deleted is not None:
        abort(404)
    value = sensitive.reveal_client_ssn(current_actor(), client)  # PermissionDenied -> 403
    db.session.commit()  # the audit entry
    response = render_template("access/_ssn.html", client=client, revealed=sensitive.display(value) or "—")
    return response, 200, {"Cache-Control": "no-store"}
