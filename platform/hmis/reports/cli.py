"""``hmis report run|list``: the report library from the command line."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..access.operations import system_actor
from ..extensions import db
from . import exports, service
from .parameters import ParameterError


@click.group("report")
def report_group() -> None:
    """Run reports from the library and write them out."""


@report_group.command("list")
@with_appcontext
def list_command() -> None:
    """The published reports."""
    entries = service.library_entries()
    if not entries:
        click.echo("No published reports. Publish them with 'hmis definitions sync report_definitions'.")
    for entry in entries:
        click.echo(f"{entry.key:24} v{entry.version:<3} {entry.category:14} {entry.title} ({entry.table_count} tables)")


@report_group.command("run")
@click.argument("report_id")
@click.option("--start", required=True, help="First day of the report range (YYYY-MM-DD).")
@click.option("--end", required=True, help="Last day of the report range (YYYY-MM-DD).")
@click.option("--coc", "coc_codes", multiple=True, help="CoC code, e.g. XX-501 (repeat for several).")
@click.option("--project", "project_ids", multiple=True, help="HUD ProjectID (repeat for several).")
@click.option("--project-type", "project_types", multiple=True, help="HUD project type code (repeat).")
@click.option("--funder", "funders", multiple=True, help="HUD funder code (repeat).")
@click.option("--format", "format_name", type=click.Choice(sorted(exports.FORMATS)), default="xlsx",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="File to write.")
@with_appcontext
def run_command(report_id: str, start: str, end: str, coc_codes: tuple[str, ...], project_ids: tuple[str, ...],
                project_types: tuple[str, ...], funders: tuple[str, ...], format_name: str, out: Path) -> None:
    """Run REPORT_ID (stored as a run, like one started in the browser) and write it to --out."""
    raw = {"start": start, "end": end, "coc_codes": list(coc_codes), "project_ids": list(project_ids),
           "project_types": list(project_types), "funders": list(funders)}
    try:
        run = service.run_in_process(system_actor("cli"), report_id, raw)
    except ParameterError as error:
        db.session.rollback()
        for name, message in error.problems.items():
            click.echo(f"hmis report run: --{name.replace('_ids', '').replace('_codes', '').replace('_', '-')}: "
                       f"{message}", err=True)
        sys.exit(2)
    except service.ReportNotFound as error:
        click.echo(f"hmis report run: {error}", err=True)
        sys.exit(2)
    if run.status != "finished":
        click.echo(f"hmis report run: run {run.id} failed: {run.error}", err=True)
        sys.exit(1)
    meta = {"title": run.title, "report": run.report_key, "definition version": run.version, "run": run.id}
    out.write_bytes(exports.write(format_name, run.results, run.parameters, meta))
    click.echo(f"report run {run.id}: {run.results['universe_rows']} rows in the universe, "
               f"{len(run.results['tables'])} tables -> {out}")
