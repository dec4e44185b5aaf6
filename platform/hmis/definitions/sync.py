"""Install the shipped definition folders into the database, or preview what would change.

This is how a CoC promotes configuration kept in version control from one environment
to the next: ``hmis definitions sync --dry-run`` shows, per file, whether it is new,
changed (with a diff), unchanged or invalid; ``hmis definitions sync`` then publishes
every new or changed valid file as a new version.

"Unchanged" compares meaning (the checksum of the normalized body) with the *published*
version, so comments and key order do not count, and running sync twice adds nothing.
An invalid file is skipped and reported; the other files still sync (one typo in a
report must not block a corrected intake form). A draft an HMIS lead is working on in the
browser is never overwritten: the file becomes a newer version and the draft is left.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..extensions import db
from ..models.definitions import Definition
from .diff import checksum, diff_bodies
from .files import FileCheck, check_files
from .problems import DefinitionProblem
from .service import add_version, get_definition, latest, lock_definition, next_version_number, publish, published

__all__ = ["SyncEntry", "SyncReport", "install_shipped", "sync_folder", "sync_paths"]

STATUSES = ("new", "changed", "unchanged", "invalid")


@dataclass
class SyncEntry:
    """What happened (or, in a dry run, would happen) to one file."""

    path: Path
    kind: str | None
    key: str | None
    status: str  #: new, changed, unchanged, invalid
    version: int | None = None  #: the published version after the sync (predicted in a dry run)
    problems: list[DefinitionProblem] = field(default_factory=list)
    diff: str = ""  #: from the published version to the file (empty when unchanged or invalid)
    note: str | None = None


@dataclass
class SyncReport:
    dry_run: bool
    entries: list[SyncEntry] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(entry.status for entry in self.entries)
        return {status: found.get(status, 0) for status in STATUSES}

    @property
    def ok(self) -> bool:
        return not any(entry.status == "invalid" for entry in self.entries)

    def by_status(self, status: str) -> list[SyncEntry]:
        return [entry for entry in self.entries if entry.status == status]


def sync_folder(path: Path | str, kind: str | None = None, *, dry_run: bool = False,
                account_id: int | None = None) -> SyncReport:
    """Sync one folder (its kind from its name, e.g. ``form_definitions``, unless given)."""
    return sync_paths([Path(path)], kind, dry_run=dry_run, account_id=account_id)


def sync_paths(paths: list[Path], kind: str | None = None, *, dry_run: bool = False,
               account_id: int | None = None, only_new: bool = False) -> SyncReport:
    """Sync files and folders. Flushes; the caller commits (nothing is written in a dry run).

    :param only_new: install definitions the database does not know yet and leave every
        known one alone (reported "unchanged"), so starting the app never replaces what
        an HMIS lead published in the browser, yet a definition shipped with an upgrade
        still arrives.
    """
    report = SyncReport(dry_run=dry_run)
    for checked in check_files(paths, kind):
        if only_new and checked.ok and get_definition(checked.checked.kind, checked.checked.key) is not None:
            current = published(checked.checked.kind, checked.checked.key)
            report.entries.append(SyncEntry(checked.path, checked.checked.kind, checked.checked.key, "unchanged",
                                            version=current.version if current is not None else None,
                                            note="already installed; `hmis definitions sync` updates it"))
            continue
        report.entries.append(_sync_one(checked, dry_run, account_id))
    return report


def install_shipped(account_id: int | None = None) -> SyncReport:
    """Install the shipped folders' definitions that are not in the database yet (first start)."""
    from .files import shipped_folders

    return sync_paths(shipped_folders(), account_id=account_id, only_new=True)


def _sync_one(file: FileCheck, dry_run: bool, account_id: int | None) -> SyncEntry:
    if not file.ok:
        return SyncEntry(file.path, file.kind, file.key, "invalid", problems=file.problems)
    checked = file.checked
    kind, key, body = checked.kind, checked.key, checked.body
    current = published(kind, key)
    if current is not None and current.checksum == checksum(body):
        return SyncEntry(file.path, kind, key, "unchanged", version=current.version)

    status = "changed" if current is not None else "new"
    newest = latest(kind, key)
    note = None
    if newest is not None and newest.status == "draft":
        note = f"the unpublished draft v{newest.version} is left as it is"
    number = next_version_number(kind, key)
    old_label = current.label if current is not None else "(not published)"
    change = diff_bodies(current.body if current is not None else None, body, old_label,
                         f"{kind} {key} v{number} ({file.path.name})")
    if dry_run:
        return SyncEntry(file.path, kind, key, status, version=number, diff=change, note=note)

    definition = get_definition(kind, key)
    if definition is None:
        definition = Definition(kind=kind, key=key, title=body["title"][:300])
        db.session.add(definition)
        db.session.flush()
    else:
        definition = lock_definition(definition.id)
    version = add_version(definition, checked.source_text, body, account_id, note=f"synced from {file.path.name}")
    publish(version.id, account_id)
    return SyncEntry(file.path, kind, key, status, version=version.version, diff=change, note=note)
