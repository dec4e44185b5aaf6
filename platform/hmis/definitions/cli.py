"""``hmis definitions validate | sync | diff``: the command-line twins of the editor.

``validate`` needs no app and no database (CI checks a CoC's configuration repository
with it); ``sync`` and ``diff`` work on the database of the configured app.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from .registry import KINDS


def _display(path: Path) -> str:
    """Paths relative to the working directory when below it: shorter, clickable in editors."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@click.group("definitions")
def definitions_group() -> None:
    """Form, workflow, report and admin definitions."""


@definitions_group.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--kind", type=click.Choice(KINDS), help="The kind of every file (default: from its folder's name).")
def validate_command(paths: tuple[Path, ...], kind: str | None) -> None:
    """Check definition files or folders (default: the shipped folders). Exit 1 on any problem."""
    from .files import check_files, shipped_folders

    results = check_files(list(paths) or shipped_folders(), kind)
    bad = [result for result in results if not result.ok]
    for result in bad:
        for problem in result.problems:
            click.echo(problem.located(_display(result.path)), err=True)
    if bad:
        count = sum(len(result.problems) for result in bad)
        click.echo(f"{count} problem{'s' if count != 1 else ''} in {len(bad)} of {len(results)} "
                   f"definition{'s' if len(results) != 1 else ''}", err=True)
        raise SystemExit(1)
    click.echo(f"{len(results)} definition{'s' if len(results) != 1 else ''} valid")


@definitions_group.command("sync")
@click.argument("folders", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change, with diffs; write nothing.")
@click.option("--kind", type=click.Choice(KINDS), help="The kind of every file (default: from its folder's name).")
@with_appcontext
def sync_command(folders: tuple[Path, ...], dry_run: bool, kind: str | None) -> None:
    """Publish new and changed definitions from FOLDERS (default: the shipped folders)."""
    from ..extensions import db
    from .files import shipped_folders
    from .sync import sync_paths

    report = sync_paths(list(folders) or shipped_folders(), kind, dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    verb = {"new": "would add" if dry_run else "added", "changed": "would update" if dry_run else "updated"}
    for entry in report.entries:
        where = _display(entry.path)
        if entry.status == "invalid":
            for problem in entry.problems:
                click.echo(problem.located(where), err=True)
            continue
        if entry.status == "unchanged":
            click.echo(f"unchanged  {entry.kind} {entry.key} v{entry.version}  ({where})")
            continue
        click.echo(f"{verb[entry.status]:<12} {entry.kind} {entry.key} v{entry.version}  ({where})")
        if entry.note:
            click.echo(f"  note: {entry.note}")
        if dry_run and entry.diff:
            click.echo(entry.diff.rstrip("\n"))
    counts = report.counts
    click.echo(", ".join(f"{counts[status]} {status}" for status in counts) + (" (dry run: nothing written)"
                                                                               if dry_run else ""))
    if not report.ok:
        raise SystemExit(1)


@definitions_group.command("diff")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("key")
@click.argument("v1", type=click.IntRange(min=1))
@click.argument("v2", type=click.IntRange(min=1))
@with_appcontext
def diff_command(kind: str, key: str, v1: int, v2: int) -> None:
    """Show what changed between versions V1 and V2 of a definition."""
    from . import service
    from .problems import DefinitionNotFound

    try:
        text = service.diff(kind, key, v1, v2)
    except DefinitionNotFound as error:
        raise click.ClickException(str(error)) from None
    click.echo(text.rstrip("\n") if text else f"{kind} {key}: v{v1} and v{v2} are the same")
