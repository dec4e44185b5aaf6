"""hmis: an open Homeless Management Information System.

``create_app`` builds the Flask app; every subsystem attaches itself with ``init_app``.
"""
from __future__ import annotations

from typing import Any

from flask import Flask

__version__ = "0.1.0"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` overrides settings (tests pass their own).

    :raise hmis.config.SettingsError: when a setting has an unusable value.
    """
    from . import db as database, jobs, web
    from .config import load_settings
    from .extensions import csrf

    settings = load_settings(config)
    app = Flask(__name__, instance_path=settings["INSTANCE_PATH"], instance_relative_config=True)
    app.config.update(settings)
    app.config["SQLALCHEMY_DATABASE_URI"] = settings["DATABASE_URL"]
    app.config["MAX_CONTENT_LENGTH"] = settings["MAX_UPLOAD_MB"] * 1024 * 1024
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")

    database.init_app(app)
    csrf.init_app(app)
    jobs.init_app(app)
    web.init_app(app)
    return app
