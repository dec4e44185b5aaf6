"""First start on the embedded default, and account management from the shell."""
from __future__ import annotations

import secrets
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from .extensions import db

DEMO_EMAIL = "lead@demo.hmis.local"
DEMO_CLIENTS = 600


def prepare(demo: bool) -> str | None:
    """Migrate the database; on an empty one with ``demo``, load synthetic data and
    create the demo HMIS lead. Returns the demo password when it was just created."""
    from .access.accounts import create_account
    from .db import upgrade
    from .models import Account, Client

    upgrade()
    install_definitions()
    if not demo:
        return None
    password = None
    if db.session.scalar(select(func.count()).select_from(Account)) == 0:
        password = secrets.token_urlsafe(12)
        create_account(DEMO_EMAIL, "Demo HMIS Lead", password, role="hmis_lead")
        db.session.commit()
    if db.session.scalar(select(func.count()).select_from(Client)) == 0:
        from .interchange.services import import_file
        from .synth import generate

        with tempfile.TemporaryDirectory() as folder:
            archive = Path(folder) / "demo.zip"
            generate(DEMO_CLIENTS, archive, seed=2026)
            import_file(archive, filename="demo data (hmis synth)", source_key="demo")
    return password


def install_definitions() -> None:
    """Publish shipped definitions the database does not have yet; say which files are broken.

    A broken shipped file is reported and skipped (the rest still install), the same
    rule as ``hmis definitions sync``.
    """
    from .definitions.sync import install_shipped

    report = install_shipped()
    db.session.commit()
    installed = report.by_status("new")
    if installed:
        click.echo(f"installed {len(installed)} shipped definitions")
    for entry in report.by_status("invalid"):
        first = entry.problems[0] if entry.problems else None
        click.echo(f"warning: {entry.path} was not installed: {first.message if first else 'invalid'}", err=True)


@click.command("start")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def start_command(host: str, port: int) -> None:
    """Set up the database (and demo data when HMIS_DEMO_DATA=1) and serve the app."""
    demo = current_app.config["DEMO_DATA"]
    click.echo(f"database: {current_app.config['SQLALCHEMY_DATABASE_URI']}")
    password = prepare(demo)
    url = f"http://{host}:{port}/"
    click.echo(f"\n  Open HMIS is running at {url}")
    if password:
        click.echo(f"  Sign in as {DEMO_EMAIL} with password {password}")
        (Path(current_app.instance_path) / "demo-sign-in.txt").write_text(f"{DEMO_EMAIL}\n{password}\n")
    elif demo:
        saved = Path(current_app.instance_path) / "demo-sign-in.txt"
        if saved.exists():
            email, saved_password = saved.read_text().split()[:2]
            click.echo(f"  Sign in as {email} with password {saved_password}")
    click.echo("")
    # Not app.run(): Flask ignores that inside a CLI command.
    from werkzeug.serving import run_simple

    run_simple(host, port, current_app._get_current_object(), threaded=True, use_reloader=False)


@click.command("create-account")
@click.argument("email")
@click.option("--name", default="", help="Display name.")
@click.option("--role", default="hmis_lead", show_default=True)
@click.password_option()
@with_appcontext
def account_command(email: str, name: str, role: str, password: str) -> None:
    """Create a sign-in account."""
    from .access.accounts import AccountError, create_account

    try:
        create_account(email, name or email, password, role)
    except AccountError as exc:
        raise click.UsageError(str(exc)) from None
    db.session.commit()
    click.echo(f"created {email} ({role})")
