"""The browser: blueprints, layout, static assets and security headers."""
from __future__ import annotations

from pathlib import Path

from flask import Flask


def init_app(app: Flask) -> None:
    from . import auth, jobs_views, pages

    # The layout's assets live beside its templates (static/css, static/js, static/vendor).
    app.static_folder = str(Path(__file__).resolve().parent / "static")

    auth.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(jobs_views.bp)

    from ..interchange.views import bp as interchange_bp

    app.register_blueprint(interchange_bp)

    from ..interchange.export_views import bp as exports_bp

    app.register_blueprint(exports_bp)

    from ..access.audit_views import bp as audit_bp

    app.register_blueprint(audit_bp)

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
