"""``hmis import-csv`` and ``hmis export-csv``."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext

from .checks import RULES


def _parse_date(ctx, param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form") from None


@click.command("import-csv")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--check", is_flag=True, help="Validate only; write nothing.")
@click.option("--source", "source_key", help="Data source key (default: the export's ImplementationID/SourceID).")
@click.option("--issues", "issues_path", type=click.Path(path_type=Path), help="Write every issue found to this CSV file.")
@with_appcontext
def import_command(path: Path, check: bool, source_key: str | None, issues_path: Path | None) -> None:
    """Import an HMIS CSV export (a .zip or a folder), FY2026 or FY2024."""
    from .importer import Importer
    from .services import import_file, issues_csv

    def progress(percent: int, message: str) -> None:
        click.echo(f"  {percent:>3}%  {message}", err=True)  # stderr: the summary on stdout stays clean

    if check:
        result = Importer(path, dry_run=True, source_key=source_key, progress=progress).run()
        run_id = None
    else:
        run, result = import_file(path, source_key=source_key, on_progress=progress)
        run_id = run.id
    click.echo(f"{path.name}: {result.status} (FY{result.version or '?'}, source {result.source_key}) "
               f"in {result.seconds:.1f} s")
    for name, counts in result.files.items():
        if counts.rows or counts.rejected:
            click.echo(f"  {name:<24} {counts.rows:>9} rows  {counts.inserted:>8} new  {counts.updated:>8} updated"
                       f"  {counts.unchanged:>8} unchanged  {counts.rejected:>6} rejected  {counts.warnings:>7} warnings")
    for (severity, file, rule, column), count in sorted(result.log.counts.items(), key=lambda kv: (kv[0][0], -kv[1])):
        where = f"{file}{'.' + column if column else ''}"
        click.echo(f"  {severity:<12} {count:>7} x {RULES[rule].title} [{where}]")
    for issue in [i for i in result.log.issues if i.severity == "error"][:50]:
        click.echo(f"  error: {issue.message}", err=True)
    if issues_path:
        if run_id is not None:
            with open(issues_path, "w", encoding="utf-8", newline="") as out:
                for chunk in issues_csv(run_id):
                    out.write(chunk)
        click.echo(f"issues written to {issues_path}")
    if result.status == "rejected":
        raise SystemExit(1)


@click.command("export-csv")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The .zip to write.")
@click.option("--start", callback=_parse_date, help="Export period start (YYYY-MM-DD).")
@click.option("--end", callback=_parse_date, help="Export period end (YYYY-MM-DD).")
@click.option("--project", "projects", multiple=True, help="Limit to this ProjectID (repeatable).")
@click.option("--hashed", is_flag=True, help="Hash names and SSN (HashStatus 4, SHA-256).")
@click.option("--source-id", help="CoC code written as Export.SourceID.")
@with_appcontext
def export_command(out: Path, start: date | None, end: date | None, projects: tuple[str, ...], hashed: bool,
                   source_id: str | None) -> None:
    """Write a FY2026 HMIS CSV export."""
    from .exporter import ExportError, export_csv

    try:
        result = export_csv(out, start=start, end=end, project_ids=projects, hashed=hashed, source_id=source_id)
    except ExportError as exc:
        raise click.UsageError(str(exc)) from None
    total = sum(result.rows.values())
    click.echo(f"wrote {out} ({total} rows in {len(result.rows)} files, {result.seconds:.1f} s)")


@click.command("purge-files")
@with_appcontext
def purge_command() -> None:
    """Delete uploads never imported and exports older than HMIS_FILE_RETENTION_DAYS."""
    from flask import current_app

    from .services import purge_old_files

    removed = purge_old_files()
    click.echo(f"removed {removed['uploads']} uploads and {removed['exports']} exports older than "
               f"{current_app.config['FILE_RETENTION_DAYS']} days")
