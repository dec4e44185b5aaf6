"""The ``hmis`` command: a Flask CLI group that builds the app itself (no FLASK_APP)."""
from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup, with_appcontext

from . import create_app
from .config import SettingsError


def _create_app():
    try:
        return create_app()
    except SettingsError as exc:
        click.echo(f"hmis: {exc}", err=True)
        sys.exit(2)


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def cli() -> None:
    """An open Homeless Management Information System."""


@cli.group("db")
def db_group() -> None:
    """Database schema commands."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    from .db import upgrade

    upgrade(revision)
    click.echo(f"database at {revision}")


def _register() -> None:
    from .definitions.cli import definitions_group
    from .identity.cli import duplicates_group
    from .interchange.cli import export_command, import_command, purge_command
    from .jobs.worker import sweep_command, worker_command
    from .setup import account_command, start_command
    from .synth.cli import synth_command

    commands = (import_command, export_command, purge_command, worker_command, sweep_command, start_command,
                account_command, synth_command, definitions_group, duplicates_group)
    for command in commands:
        cli.add_command(command)
    from .reports.cli import report_group  # the reports room (issue 5)
    cli.add_command(report_group)
    from .workflows.cli import schedule_group, workflow_group  # the workflows room (issue 4)
    cli.add_command(schedule_group)
    cli.add_command(workflow_group)
    from .access.ssn_cli import ssn_group  # encrypted SSNs (issue 6)
    cli.add_command(ssn_group)


_register()


def main() -> None:  # the console script
    cli(prog_name="hmis")
