"""Signing in and out, and the rule that every page needs a signed-in account.

``init_app`` installs a ``before_request`` hook, so a new blueprint is protected
without doing anything; only the ``auth`` pages and static files are public.
The session holds the account id and a *session version* derived from the
password hash, so changing a password (or deactivating the account) ends every
other session at its next request.
"""
from __future__ import annotations

import hashlib
from datetime import timedelta
from functools import wraps
from typing import Any, Callable
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
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
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import InputRequired, Length

from ..access import audit
from ..access.accounts import authenticate
from ..extensions import db
from ..models.core import Account

bp = Blueprint("auth", __name__, template_folder="templates")

#: The one message for every failed sign-in, so it never tells which part was wrong.
SIGN_IN_FAILED = "Email or password is not right."

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


def _load_account() -> Account | None:
    account_id = session.get("account_id")
    if not isinstance(account_id, int):
        return None
    account = db.session.get(Account, account_id)
    if account is None or not account.is_active or session.get("session_version") != session_version(account):
        session.clear()
        return None
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
    if form.validate_on_submit():
        account = authenticate(form.email.data, form.password.data)
        audit.record_sign_in(account, form.email.data)
        db.session.commit()  # keep the failure count or the sign-in time either way
        if account is not None:
            session.clear()  # a fresh session, so nothing set before sign-in carries over
            session["account_id"] = account.id
            session["session_version"] = session_version(account)
            session.permanent = True
            g.current_account = account
            return redirect(next_url or url_for("pages.home"))
        error = SIGN_IN_FAILED
    elif request.method == "POST":
        error = "This page was open too long. Please sign in again." if form.errors.get("csrf_token") \
            else SIGN_IN_FAILED
    status = 401 if error else 200
    return render_template("auth/sign_in.html", form=form, error=error, next_url=next_url), status


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
    endpoint = request.endpoint or ""
    if endpoint in PUBLIC_ENDPOINTS or endpoint.startswith("auth."):
        return None
    if current_account() is None:
        return _to_sign_in()
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
    if app.config.get("PERMANENT_SESSION_LIFETIME") == timedelta(days=31):
        app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=8)
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

    Organizations come from the account's memberships once the privacy room defines
    them (``Account.organization_ids``); until then an account belongs to none.
    """
    from ..access.operations import Actor

    account = current_account()
    if account is None:
        abort(401)
    orgs = frozenset(getattr(account, "organization_ids", None) or ())
    return Actor(account_id=account.id, role=account.role, organization_ids=orgs, name=account.name)
