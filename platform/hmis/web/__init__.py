"""The browser: blueprints, layout, static assets and security headers."""
from __future__ import annotations

import importlib
from pathlib import Path

from flask import Flask

#: Rooms' view modules, each exposing ``bp`` (or ``blueprints``, a list).
ROOM_VIEWS = (
    "hmis.interchange.views", "hmis.interchange.export_views", "hmis.access.audit_views",
    "hmis.access.admin_views", "hmis.access.consent_views", "hmis.access.ssn_views",
    "hmis.definitions.views", "hmis.forms.views", "hmis.records.views",
    "hmis.workflows.views", "hmis.reports.views", "hmis.identity.views",
)


def init_app(app: Flask) -> None:
    from . import auth, jobs_views, pages

    # The layout's assets live beside its templates (static/css, static/js, static/vendor).
    app.static_folder = str(Path(__file__).resolve().parent / "static")

    auth.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(jobs_views.bp)

    for name in ROOM_VIEWS:
        module = importlib.import_module(name)
        for blueprint in getattr(module, "blueprints", None) or [module.bp]:
            app.register_blueprint(blueprint)

    from .nav import entries_for

    app.jinja_env.globals["nav_entries"] = entries_for

    @app.after_request
    def security_headers(response):
        # Only our own scripts and styles: the pages work offline and nothing inline runs.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.add("Vary", "HX-Request")
        return response
