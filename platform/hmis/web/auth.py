"""Signing in and out, and the rule that every page needs a signed-in account.

``init_app`` installs a ``before_request`` hook, so a new blueprint is protected
without doing anything; only the ``auth`` pages and static files are public.
The session holds the account id and a *session version* derived from the
password hash, so changing a password (or deactivating the account) ends every
other session at its next request.
"""
from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from functools import wraps
from typing import Any, Callable
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    Flask,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from sqlalchemy import bindparam, select
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from ..access import audit, ratelimit, totp
from ..access.accounts import authenticate
from ..db import built_once
from ..extensions import db
from ..models.core import Account
from ..models.privacy import AccountOrganization

bp = Blueprint("auth", __name__, template_folder="templates")

#: The one message for every failed sign-in, so it never tells which part was wrong.
SIGN_IN_FAILED = "Email or password is not right."

TOO_MANY = "Too many sign-in attempts. Wait a few minutes, then try again."
#: Seconds between a right password and its two-factor code before signing in starts over.
PENDING_SECONDS = 300
#: How often a request moves the session's last-seen time (and so rewrites the cookie).
SEEN_RESOLUTION_SECONDS = 60
#: Two-factor codes one account may try per rate-limit window.
TWO_FACTOR_ATTEMPTS = 10

#: Endpoints reachable without signing in (besides every ``auth.*`` endpoint).
PUBLIC_ENDPOINTS = frozenset({"static"})


class SignInForm(FlaskForm):
    email = EmailField("Email", validators=[InputRequired(), Length(max=320)],
                       render_kw={"autocomplete": "username", "autofocus": True, "spellcheck": "false"})
    password = PasswordField("Password", validators=[InputRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField("Sign in")


def session_version(account: Account) -> str:
    """Return a value that changes whenever the account's sessions must end."""
    explicit = getattr(account, "session_version", None)  # a future column wins
    if explicit is not None:
        return str(explicit)
    return hashlib.sha256(account.password_hash.encode()).hexdigest()[:16]


def current_account() -> Account | None:
    """Return the signed-in, active account for this request, or None (cached on ``g``)."""
    if "current_account" not in g:
        g.current_account = _load_account()
    return g.current_account


@built_once
def _account_statement():
    """:func:`_load_account`'s query, built once: every request runs it, and a statement
    reused keeps its SQL cache key where a new one is built and keyed again each time."""
    return (select(Account, AccountOrganization.organization_id)
            .outerjoin(AccountOrganization, AccountOrganization.account_id == Account.id)
            .where(Account.id == bindparam("account_id")))


def _load_account() -> Account | None:
    account_id = session.get("account_id")
    if not isinstance(account_id, int):
        return None
    # The account and its memberships in one query: every page needs both (the actor's
    # organizations decide what it may see), and each is read afresh per request, so a
    # revoked role, membership or password takes effect at the next request.
    rows = db.session.execute(_account_statement(), {"account_id": account_id}).all()
    account = rows[0][0] if rows else None
    if account is None or not account.is_active or session.get("session_version") != session_version(account):
        session.clear()
        return None
    g.current_organization_ids = (account.id, frozenset(row[1] for row in rows if row[1] is not None))
    return account


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send anonymous visitors to the sign-in page (the app-wide hook already does this;
    the decorator documents it on views that must never become public)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_account() is None:
            return _to_sign_in()
        return view(*args, **kwargs)

    return wrapped


def is_safe_next(target: str | None) -> bool:
    """Accept only a path on this site, never another host (``//evil``, ``/\\evil``, ``https:``)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ord(ch) < 32 or ch == "\\" for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def _to_sign_in() -> Response:
    target = request.full_path if request.query_string else request.path
    login_url = url_for("auth.sign_in", next=target) if request.method == "GET" and is_safe_next(target) \
        else url_for("auth.sign_in")
    if request.headers.get("HX-Request"):
        # An htmx swap would put the sign-in page inside the list; make the browser go there.
        response = Response(status=401)
        response.headers["HX-Redirect"] = login_url
        return response
    return redirect(login_url)


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    next_url = request.args.get("next")
    if not is_safe_next(next_url):
        next_url = None
    if current_account() is not None:
        return redirect(next_url or url_for("pages.home"))
    form = SignInForm()
    error = None
    status = 200
    if form.validate_on_submit():
        if not ratelimit.sign_in_allowed(request.remote_addr, form.email.data, current_app.config):
            audit.record("sign_in_limited", email=form.email.data.strip().lower()[:320] or None,
                         details={"email": form.email.data.strip().lower()[:320]})
            db.session.commit()
            error, status = TOO_MANY, 429
        else:
            account = authenticate(form.email.data, form.password.data)
            if account is not None and totp.required(account):
                db.session.commit()  # the password was right: keep the reset failure count
                return _start_two_factor(account, next_url)
            audit.record_sign_in(account, form.email.data)
            db.session.commit()  # keep the failure count or the sign-in time either way
            if account is not None:
                return _complete_sign_in(account, next_url)
            error, status = SIGN_IN_FAILED, 401
    elif request.method == "POST":
        error = "This page was open too long. Please sign in again." if form.errors.get("csrf_token") \
            else SIGN_IN_FAILED
        status = 401
    return render_template("auth/sign_in.html", form=form, error=error, next_url=next_url), status


def _complete_sign_in(account: Account, next_url: str | None) -> Response:
    session.clear()  # a fresh session, so nothing set before sign-in carries over
    session["account_id"] = account.id
    session["session_version"] = session_version(account)
    session["seen"] = int(time.time())
    session.permanent = True
    g.current_account = account
    return redirect(next_url or url_for("pages.home"))


def _start_two_factor(account: Account, next_url: str | None) -> Response:
    session.clear()
    session["pending_account_id"] = account.id
    session["pending_version"] = session_version(account)
    session["pending_since"] = int(time.time())
    if next_url:
        session["pending_next"] = next_url
    return redirect(url_for("auth.two_factor"))


def _pending_account() -> Account | None:
    """The account that gave the right password and now owes a code (for at most PENDING_SECONDS)."""
    account_id = session.get("pending_account_id")
    since = session.get("pending_since")
    if not isinstance(account_id, int) or not isinstance(since, int) or time.time() - since > PENDING_SECONDS:
        return None
    account = db.session.get(Account, account_id)
    if account is None or not account.is_active or session.get("pending_version") != session_version(account):
        return None
    return account


class CodeForm(FlaskForm):
    code = StringField("Six-digit code from your authenticator app", validators=[InputRequired(), Length(max=20)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True,
                                  "spellcheck": "false"})
    submit = SubmitField("Continue")


@bp.route("/sign-in/two-factor", methods=["GET", "POST"])
def two_factor():
    """Second step of signing in: enrol an authenticator app (first time) or give a code."""
    account = _pending_account()
    if account is None:
        session.clear()
        flash("Please sign in again.", "info")
        return redirect(url_for("auth.sign_in"))
    form = CodeForm()
    error = None
    status = 200
    enrolling = not totp.enrolled(account)
    secret = None
    if enrolling:
        secret = totp.pending_secret(account) or totp.start_enrolment(account)
        db.session.commit()
    if form.validate_on_submit():
        if not ratelimit.hit(f"two_factor:account:{account.id}", TWO_FACTOR_ATTEMPTS,
                             current_app.config.get("SIGN_IN_LIMIT_WINDOW_SECONDS", 600)):
            db.session.commit()
            error, status = TOO_MANY, 429
        elif totp.verify(account, form.code.data):
            audit.record("sign_in", subject_type="account", subject_id=account.id, account=account,
                         details={"two_factor": "enrolled" if enrolling else "code"})
            db.session.commit()
            return _complete_sign_in(account, session.get("pending_next"))
        else:
            audit.record("sign_in_failed", email=account.email, details={"email": account.email,
                                                                         "stage": "two_factor"})
            db.session.commit()
            error, status = "That code is not right. Codes change every 30 seconds; try the current one.", 401
    uri = totp.provisioning_uri(account, secret) if secret else None
    return render_template("auth/two_factor.html", form=form, error=error, enrolling=enrolling, secret=secret,
                           uri=uri), status


class SetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[InputRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("New password again", validators=[InputRequired(), Length(max=1024)],
                            render_kw={"autocomplete": "new-password"})
    submit = SubmitField("Set password")


@bp.route("/account/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    """The page an invitation or reset link opens: choose a password."""
    from ..access import admin
    from ..access.accounts import AccountError

    account = admin.token_account(token)
    if account is None:
        return render_template("error.html", title="Link expired",
                               message="This link has expired or was already used. "
                                       "Ask your administrator for a new one."), 404
    form = SetPasswordForm()
    errors: list[str] = []
    if form.validate_on_submit():
        if form.password.data != form.confirm.data:
            errors.append("The two passwords are not the same.")
        else:
            try:
                admin.use_token(token, form.password.data)
            except AccountError as exc:
                errors.append(str(exc))
            else:
                db.session.commit()
                session.clear()
                flash("Your password is set. Sign in with it now.", "success")
                return redirect(url_for("auth.sign_in"))
    return render_template("auth/set_password.html", form=form, errors=errors, account=account,
                           token=token), (400 if errors else 200)


@bp.post("/sign-out")
def sign_out():
    if current_account() is not None:
        audit.record("sign_out", commit=True)
    session.clear()
    g.current_account = None
    flash("You are signed out.", "info")
    return redirect(url_for("auth.sign_in"))


def _require_sign_in() -> Response | None:
    # Forget any account cached by an earlier request sharing this app context
    # (tests and CLI code push one app context around many requests).
    g.pop("current_account", None)
    g.pop("current_actor", None)
    g.pop("current_organization_ids", None)
    endpoint = request.endpoint or ""
    if endpoint in PUBLIC_ENDPOINTS or endpoint.startswith("auth."):
        return None
    account = current_account()
    if account is None:
        return _to_sign_in()
    idle_minutes = current_app.config.get("IDLE_TIMEOUT_MINUTES") or 0
    now = int(time.time())
    seen = session.get("seen")
    if idle_minutes and isinstance(seen, int) and now - seen > idle_minutes * 60:
        audit.record("sign_out", subject_type="account", subject_id=account.id, account=account,
                     details={"reason": "idle", "minutes": idle_minutes}, commit=True)
        session.clear()
        g.current_account = None
        flash(f"You were signed out after {idle_minutes} minutes without activity.", "info")
        return _to_sign_in()
    # Rewrite the cookie at most once a minute: every response that carries a session cookie
    # replaces the browser's, so an htmx request answered just after a submit used to put back
    # the session without the submit's flash message. Idle time is then exact to a minute.
    if not isinstance(seen, int) or now - seen >= SEEN_RESOLUTION_SECONDS:
        session["seen"] = now
    return None


def _refuse_nul() -> Response | tuple[str, int] | None:
    """Refuse a NUL character in any query or form value, naming the field.

    No text the product stores may hold one (PostgreSQL refuses it outright, SQLite
    would store it and cut it short elsewhere), so it is turned away at the door.
    """
    sources = [request.args] + ([request.form] if request.method != "GET" else [])
    for source in sources:
        for name, values in source.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                field = name.replace("\x00", "")[:60] or "(unnamed)"
                message = f"The field {field!r} contains a NUL character, which cannot be stored. Remove it and try again."
                if request.headers.get("HX-Request"):
                    return render_template("_flash_error.html", message=message), 400
                return render_template("error.html", title="Please check your input", message=message), 400
    return None


def _no_store(response: Response) -> Response:
    # Pages show client PII: keep them out of shared-computer caches and the back-forward cache.
    if "current_account" in g and g.current_account is not None and request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _csrf_error(error: CSRFError):
    message = "This form was open too long or came from another page. Please try again."
    if request.headers.get("HX-Request"):
        return render_template("_flash_error.html", message=message), 400
    return render_template("error.html", title="Please try again", message=message), 400


def _not_found(error):
    return render_template("error.html", title="Not found",
                           message="There is nothing at this address. It may have been removed."), 404


def _forbidden(error):
    return render_template("error.html", title="Not allowed",
                           message="Your account does not have access to this page."), 403


def _permission_denied(error):
    """A service operation refused the actor: say why, as a 403 (a fragment for htmx)."""
    return render_template("error.html", title="Not allowed", message=str(error)), 403


def init_app(app: Flask) -> None:
    """Protect every endpoint by default and expose ``current_account`` to templates."""
    # A working day rather than Flask's 31 days, unless configured; each request
    # extends it (SESSION_REFRESH_EACH_REQUEST).
    # The cookie is sent again only when the session changes (``seen`` moves once a minute),
    # not on every response; see :func:`_require_sign_in`'s note on racing responses.
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    if app.config.get("PERMANENT_SESSION_LIFETIME") == timedelta(days=31):
        app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=8)
    # Cookies: never readable by scripts, not sent on cross-site requests, and only over
    # HTTPS when SECURE_COOKIES is on (the default in production).
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    app.config["SESSION_COOKIE_SECURE"] = bool(app.config.get("SECURE_COOKIES"))
    app.before_request(_refuse_nul)
    app.before_request(_require_sign_in)
    app.after_request(_no_store)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(404, _not_found)
    app.register_error_handler(403, _forbidden)

    from ..access.operations import PermissionDenied
    from ..access.permissions import role_has

    app.register_error_handler(PermissionDenied, _permission_denied)

    @app.context_processor
    def inject_account() -> dict[str, Any]:
        account = current_account()
        return {"current_account": account,
                "can": lambda permission: account is not None and role_has(account.role, permission)}


def current_actor():
    """The signed-in account as the service layer's :class:`~hmis.access.operations.Actor`.

    Its organizations are the account's memberships (``account_organization``),
    read once per request.
    """
    from ..access.memberships import organization_ids
    from ..access.operations import Actor

    account = current_account()
    if account is None:
        abort(401)
    if g.get("current_actor") is None or g.current_actor.account_id != account.id:
        read = g.get("current_organization_ids")  # read with the account by _load_account
        ids = read[1] if read is not None and read[0] == account.id else organization_ids(account.id)
        g.current_actor = Actor(account_id=account.id, role=account.role, organization_ids=ids, name=account.name)
    return g.current_actor
