"""Every setting the product reads, declared once with its type, default and meaning.

Settings come from the environment (``HMIS_*`` or the conventional ``DATABASE_URL``,
``REDIS_URL``, ``SECRET_KEY``) or from the mapping a test passes to ``create_app``.
A value that cannot be parsed stops the app at start with a message naming the
setting, rather than failing later in some request.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit


class SettingsError(ValueError):
    """A setting has a value the product cannot use."""


def parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected one of 1/0, true/false, yes/no, on/off")


def parse_int(text: str) -> int:
    value = int(text.strip())
    if value < 0:
        raise ValueError("must not be negative")
    return value


def parse_database_url(text: str) -> str:
    url = text.strip()
    scheme = urlsplit(url).scheme
    if scheme.startswith("postgres"):
        # Accept the common Heroku-style spelling and always use psycopg 3.
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if scheme.startswith("sqlite"):
        return url
    raise ValueError("expected a postgresql:// or sqlite:/// URL")


def parse_redis_url(text: str) -> str:
    url = text.strip()
    if url and urlsplit(url).scheme not in ("redis", "rediss", "unix"):
        raise ValueError("expected a redis:// URL, or empty to run jobs inline")
    return url


def parse_fernet_key(text: str) -> str:
    import base64
    import binascii

    key = text.strip()
    try:
        raw = base64.urlsafe_b64decode(key.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError):
        raw = b""
    if len(raw) != 32:
        raise ValueError("expected a Fernet key: 32 bytes in url-safe base64 "
                         "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')")
    return key


def parse_fernet_keys(text: str) -> tuple[str, ...]:
    """Comma-separated Fernet keys (empty: none)."""
    return tuple(parse_fernet_key(part) for part in text.split(",") if part.strip())


def parse_path(text: str) -> str:
    return str(Path(text).expanduser().resolve())


@dataclass(frozen=True)
class Setting:
    key: str  #: the Flask config key
    env: str  #: the environment variable it is read from
    parse: Callable[[str], Any]
    default: Any
    description: str


def _repo_instance() -> str:
    # The repository's instance/ folder, not Flask's default next to the package
    # (which would be platform/instance for an uninstalled checkout).
    return str(Path(__file__).resolve().parents[2] / "instance")


SETTINGS: tuple[Setting, ...] = (
    Setting("INSTANCE_PATH", "HMIS_INSTANCE_PATH", parse_path, None,
            "Folder for the SQLite database, uploads and job results (default: instance/ in the checkout)."),
    Setting("DATABASE_URL", "DATABASE_URL", parse_database_url, None,
            "PostgreSQL or SQLite URL (default: SQLite file hmis.sqlite3 in the instance folder)."),
    Setting("REDIS_URL", "REDIS_URL", parse_redis_url, "",
            "Redis for background jobs; empty runs every job inline in the request."),
    Setting("SECRET_KEY", "SECRET_KEY", str, None,
            "Signs sessions and CSRF tokens. Required in production; generated and kept in the instance folder otherwise."),
    Setting("JOB_TIMEOUT", "HMIS_JOB_TIMEOUT", parse_int, 3600,
            "Seconds a background job may run before the worker stops it."),
    Setting("QUEUE_PREFIX", "HMIS_QUEUE_PREFIX", str, "hmis",
            "Prefix of RQ queue names, so several installations can share one Redis."),
    Setting("MAX_UPLOAD_MB", "HMIS_MAX_UPLOAD_MB", parse_int, 512,
            "Largest HMIS CSV upload accepted, in megabytes."),
    Setting("FILE_RETENTION_DAYS", "HMIS_FILE_RETENTION_DAYS", parse_int, 7,
            "Days an uploaded export that was never imported, or a finished export, is kept before "
            "`hmis purge-files` deletes it (both hold client data)."),
    Setting("PAGE_SIZE", "HMIS_PAGE_SIZE", parse_int, 50,
            "Rows per page in lists."),
    Setting("DEMO_DATA", "HMIS_DEMO_DATA", parse_bool, False,
            "Load synthetic demo data and a demo sign-in on first start."),
    Setting("PRODUCTION", "HMIS_PRODUCTION", parse_bool, False,
            "Refuse to start without an explicit SECRET_KEY, DATABASE_URL and ENCRYPTION_KEY; cookies are Secure."),
    Setting("ENCRYPTION_KEY", "HMIS_ENCRYPTION_KEY", parse_fernet_key, None,
            "Fernet key that encrypts sensitive fields at rest (SSN, two-factor secrets) and keys their "
            "search hashes. Required in production; derived from SECRET_KEY otherwise (so changing "
            "SECRET_KEY then makes them unreadable)."),
    Setting("RETIRED_ENCRYPTION_KEYS", "HMIS_RETIRED_ENCRYPTION_KEYS", parse_fernet_keys, (),
            "Comma-separated keys ENCRYPTION_KEY replaced: still read, never written. List the old key "
            "here when changing ENCRYPTION_KEY, run `hmis ssn rotate`, then remove it."),
    Setting("IDLE_TIMEOUT_MINUTES", "HMIS_IDLE_TIMEOUT_MINUTES", parse_int, 30,
            "Minutes without a request after which a signed-in session ends (0: never)."),
    Setting("SKIP_TWO_FACTOR", "HMIS_SKIP_TWO_FACTOR", parse_bool, False,
            "Let roles that require two-factor sign-in skip it (tests and local trials only; refused "
            "with HMIS_PRODUCTION)."),
    Setting("SECURE_COOKIES", "HMIS_SECURE_COOKIES", parse_bool, None,
            "Send the session cookie only over HTTPS (default: on with HMIS_PRODUCTION, off otherwise)."),
    Setting("SIGN_IN_LIMIT_PER_IP", "HMIS_SIGN_IN_LIMIT_PER_IP", parse_int, 30,
            "Sign-in attempts one IP address may make per window (shared by every web process)."),
    Setting("SIGN_IN_LIMIT_PER_EMAIL", "HMIS_SIGN_IN_LIMIT_PER_EMAIL", parse_int, 10,
            "Sign-in attempts for one email address per window."),
    Setting("SIGN_IN_LIMIT_WINDOW_SECONDS", "HMIS_SIGN_IN_LIMIT_WINDOW_SECONDS", parse_int, 600,
            "Length of the sign-in rate-limit window, in seconds."),
)


def load_settings(overrides: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Return the Flask config values, parsed and checked.

    :raise SettingsError: naming the variable and why its value is unusable.
    """
    environ = os.environ if environ is None else environ
    overrides = overrides or {}
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        if setting.key in overrides:
            raw = overrides[setting.key]
            source = f"setting {setting.key}"
        elif setting.env in environ:
            raw = environ[setting.env]
            source = f"environment variable {setting.env}"
        else:
            values[setting.key] = setting.default
            continue
        try:
            values[setting.key] = setting.parse(raw) if isinstance(raw, str) else raw
        except (ValueError, TypeError) as exc:
            raise SettingsError(f"{source}={raw!r} is not usable: {exc}. ({setting.description})") from None

    instance = Path(values["INSTANCE_PATH"] or _repo_instance())
    values["INSTANCE_PATH"] = str(instance)
    if values["PRODUCTION"] and not (values["SECRET_KEY"] and values["DATABASE_URL"]):
        raise SettingsError("HMIS_PRODUCTION is set: SECRET_KEY and DATABASE_URL must be given explicitly.")
    if values["PRODUCTION"] and not values["ENCRYPTION_KEY"]:
        raise SettingsError("HMIS_PRODUCTION is set: HMIS_ENCRYPTION_KEY must be given explicitly.")
    if values["PRODUCTION"] and values["SKIP_TWO_FACTOR"]:
        raise SettingsError("HMIS_SKIP_TWO_FACTOR cannot be used with HMIS_PRODUCTION: admin roles need two-factor sign-in.")
    if values["SECURE_COOKIES"] is None:
        values["SECURE_COOKIES"] = bool(values["PRODUCTION"])
    if not values["DATABASE_URL"]:
        values["DATABASE_URL"] = f"sqlite:///{instance / 'hmis.sqlite3'}"
    if not values["SECRET_KEY"]:
        values["SECRET_KEY"] = _instance_secret(instance)
    if not values["ENCRYPTION_KEY"]:
        values["ENCRYPTION_KEY"] = _derived_key(values["SECRET_KEY"])
    for key, value in overrides.items():
        values.setdefault(key, value)  # pass Flask's own keys (TESTING, ...) through
    return values


def _derived_key(secret: str) -> str:
    """A Fernet key derived from SECRET_KEY, for installations that did not set one."""
    import base64
    import hashlib

    digest = hashlib.sha256(b"hmis-encryption-key:" + secret.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


def _instance_secret(instance: Path) -> str:
    """Keep a generated secret in the instance folder so sessions survive restarts."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
