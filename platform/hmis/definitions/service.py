"""The lifecycle of a definition: draft, publish, retire; look-ups, validation, diffs.

Rules, and why:

* **A draft must parse, but may be invalid.** An HMIS lead saves half-finished work;
  refusing it until every rule checks would lose it. Text that is not YAML/JSON at all
  is refused (there is no document to keep). :func:`validate` lists a draft's problems on
  demand (validators evolve, so problems are computed, not stored).
* **Publishing requires zero problems**, re-checked at publish time, and reports every
  problem with its line, not the first.
* **One draft at a time, always the newest.** Saving over a newest-version draft edits
  it in place; otherwise a new version is numbered max + 1. Published and retired
  versions are never changed again: saved responses point at them.
* **One published version**, enforced twice: publish locks the definition's row
  (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite serializes writers itself), retires the
  previous version and publishes the new one in that order, and the partial unique index
  ``ix_definition_version_one_published`` refuses anything that slipped past.
* Functions flush; the caller commits (a request, a CLI command, a job), so a publish
  and whatever the caller did alongside it succeed or fail together.
"""
from __future__ import annotations

from sqlalchemy import func, select, update

from ..extensions import db
from ..models.core import utcnow
from ..models.definitions import Definition, DefinitionVersion
from .checks import check_source
from .diff import checksum, diff_bodies
from .problems import DefinitionError, DefinitionNotFound, DefinitionProblem
from .registry import KEY_PATTERN, KINDS

__all__ = [
    "add_version", "diff", "get_definition", "get_version", "history", "latest", "lock_definition",
    "next_version_number", "publish", "published", "retire", "save_draft", "validate",
]


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown definition kind {kind!r}; expected one of {', '.join(KINDS)}")


def get_definition(kind: str, key: str) -> Definition | None:
    return db.session.execute(select(Definition).filter_by(kind=kind, key=key)).scalar_one_or_none()


def _require_definition(kind: str, key: str) -> Definition:
    definition = get_definition(kind, key)
    if definition is None:
        raise DefinitionNotFound(f"no {kind} definition '{key}'")
    return definition


def lock_definition(definition_id: int) -> Definition:
    """The definition's row, locked until commit, re-read from the database.

    Every change to a definition's versions takes this lock first, so two publishes (or a
    publish and a save) of one definition run one after the other, each seeing the
    other's result. PostgreSQL: ``SELECT ... FOR UPDATE``. SQLite has no row locks; a
    no-op ``UPDATE`` takes its database-wide write lock *before* we read, so the reads
    that follow are current (otherwise two writers would act on what they read before
    waiting for each other).
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(update(Definition).where(Definition.id == definition_id).values(id=Definition.id)
                           .execution_options(synchronize_session=False))
    statement = (select(Definition).where(Definition.id == definition_id)
                 .with_for_update().execution_options(populate_existing=True))
    return db.session.execute(statement).scalar_one()


def _reload(version_id: int) -> DefinitionVersion:
    statement = select(DefinitionVersion).where(DefinitionVersion.id == version_id).execution_options(
        populate_existing=True)
    version = db.session.execute(statement).scalar_one_or_none()
    if version is None:
        raise DefinitionNotFound(f"no definition version {version_id}")
    return version


def _newest(definition_id: int) -> DefinitionVersion | None:
    statement = (select(DefinitionVersion).where(DefinitionVersion.definition_id == definition_id)
                 .order_by(DefinitionVersion.version.desc()).limit(1).execution_options(populate_existing=True))
    return db.session.execute(statement).scalar_one_or_none()


def _published_of(definition_id: int) -> DefinitionVersion | None:
    statement = (select(DefinitionVersion)
                 .where(DefinitionVersion.definition_id == definition_id, DefinitionVersion.status == "published")
                 .execution_options(populate_existing=True))
    return db.session.execute(statement).scalar_one_or_none()


def save_draft(kind: str, key: str, source_text: str, account_id: int | None = None,
               note: str | None = None) -> DefinitionVersion:
    """Save ``source_text`` as the draft of ``kind`` ``key`` (creating the definition if new).

    :raise DefinitionError: the text does not parse (every syntax problem, with lines), or
        ``key`` is not a usable id. Other problems do not stop a draft; see :func:`validate`.
    """
    _check_kind(kind)
    subject = f"{kind} '{key}'"
    if not KEY_PATTERN.match(key or ""):
        raise DefinitionError([DefinitionProblem("id", None, f"'{key}' is not a usable id: use lower-case letters, "
                                                             "digits, '-', '_' or '.'")], subject)
    checked = check_source(kind, source_text, key=key)
    if not checked.readable:
        raise DefinitionError(checked.problems, subject)
    body = checked.body
    title = body.get("title") if isinstance(body, dict) and isinstance(body.get("title"), str) else key

    definition = get_definition(kind, key)
    if definition is None:
        definition = Definition(kind=kind, key=key, title=title[:300] or key)
        db.session.add(definition)
        db.session.flush()
    else:
        definition = lock_definition(definition.id)

    newest = _newest(definition.id)
    if newest is not None and newest.status == "draft":
        version = newest  # the one draft is edited in place
        version.created_dt = utcnow()
    else:
        version = DefinitionVersion(definition=definition, version=(newest.version + 1) if newest else 1,
                                    status="draft")
        db.session.add(version)
    version.body = body
    version.source_text = checked.source_text
    version.checksum = checksum(body)
    version.note = note
    version.created_by = account_id
    db.session.flush()
    return version


def add_version(definition: Definition, source_text: str, body: dict, account_id: int | None,
                 note: str | None) -> DefinitionVersion:
    """A new draft numbered after every existing version (never edits someone's draft).
    The caller holds :func:`lock_definition`; sync uses this, editors use :func:`save_draft`."""
    newest = _newest(definition.id)
    version = DefinitionVersion(definition=definition, version=(newest.version + 1) if newest else 1,
                                status="draft", body=body, source_text=source_text, checksum=checksum(body),
                                note=note, created_by=account_id)
    db.session.add(version)
    db.session.flush()
    return version


def _problems(version: DefinitionVersion) -> list[DefinitionProblem]:
    """Every problem of a stored version, located in its own source text."""
    return check_source(version.definition.kind, version.source_text, key=version.definition.key).problems


def validate(kind: str, key_or_version: str | DefinitionVersion, version: int | None = None) -> list[DefinitionProblem]:
    """Every problem of a version: the given one, version number ``version`` of ``key``, or
    else the newest version of ``key`` (the draft being edited, if there is one).

    :raise DefinitionNotFound: no such definition or version.
    """
    if isinstance(key_or_version, DefinitionVersion):
        return _problems(key_or_version)
    if version is not None:
        found = get_version(kind, key_or_version, version)
    else:
        found = latest(kind, key_or_version)
    if found is None:
        raise DefinitionNotFound(f"no {kind} definition '{key_or_version}'"
                                 + (f" version {version}" if version is not None else ""))
    return _problems(found)


def publish(version_id: int, account_id: int | None = None) -> DefinitionVersion:
    """Publish a version, retiring the one published before it.

    Publishing the published version again does nothing (a double click, or two people
    pressing the button at once, is harmless). A retired version may be published again:
    that is how a bad change is rolled back.

    :raise DefinitionError: every problem of the version, with lines; nothing changes.
    :raise DefinitionNotFound: no such version.
    """
    version = _reload(version_id)
    definition = lock_definition(version.definition_id)
    version = _reload(version_id)  # as it is now that we hold the lock
    if version.status == "published":
        return version
    problems = _problems(version)
    if problems:
        raise DefinitionError(problems, f"{definition.kind} '{definition.key}' v{version.version}")
    now = utcnow()
    current = _published_of(definition.id)
    if current is not None:
        current.status = "retired"
        current.retired_dt = now
        db.session.flush()  # first, so the one-published index never sees two
    version.status = "published"
    version.published_dt = now
    version.published_by = account_id
    version.retired_dt = None
    definition.title = str(version.body.get("title") or definition.key)[:300]
    db.session.flush()
    return version


def retire(version_id: int) -> DefinitionVersion:
    """Retire a version: a published one stops being offered (responses entered with it
    still render under it); a draft is thereby discarded. Retiring twice does nothing."""
    version = _reload(version_id)
    lock_definition(version.definition_id)
    version = _reload(version_id)
    if version.status != "retired":
        version.status = "retired"
        version.retired_dt = utcnow()
        db.session.flush()
    return version


def published(kind: str, key: str) -> DefinitionVersion | None:
    """The version in use, or ``None`` (never published, or retired)."""
    statement = (select(DefinitionVersion).join(Definition)
                 .where(Definition.kind == kind, Definition.key == key, DefinitionVersion.status == "published"))
    return db.session.execute(statement).scalar_one_or_none()


def latest(kind: str, key: str) -> DefinitionVersion | None:
    """The newest version, whatever its status."""
    statement = (select(DefinitionVersion).join(Definition).where(Definition.kind == kind, Definition.key == key)
                 .order_by(DefinitionVersion.version.desc()).limit(1))
    return db.session.execute(statement).scalar_one_or_none()


def get_version(kind: str, key: str, version: int) -> DefinitionVersion | None:
    statement = (select(DefinitionVersion).join(Definition)
                 .where(Definition.kind == kind, Definition.key == key, DefinitionVersion.version == version))
    return db.session.execute(statement).scalar_one_or_none()


def history(kind: str, key: str) -> list[DefinitionVersion]:
    """Every version, newest first. :raise DefinitionNotFound: no such definition."""
    definition = _require_definition(kind, key)
    statement = (select(DefinitionVersion).where(DefinitionVersion.definition_id == definition.id)
                 .order_by(DefinitionVersion.version.desc()))
    return list(db.session.execute(statement).scalars())


def next_version_number(kind: str, key: str) -> int:
    """The number the next new version of ``key`` would get (for dry runs)."""
    statement = (select(func.max(DefinitionVersion.version)).join(Definition)
                 .where(Definition.kind == kind, Definition.key == key))
    return (db.session.execute(statement).scalar() or 0) + 1


def diff(kind: str, key: str, v1: int, v2: int) -> str:
    """A unified diff of two versions' normalized YAML; ``""`` when they mean the same.

    :raise DefinitionNotFound: either version does not exist.
    """
    old, new = get_version(kind, key, v1), get_version(kind, key, v2)
    for number, found in ((v1, old), (v2, new)):
        if found is None:
            raise DefinitionNotFound(f"no version {number} of {kind} definition '{key}'")
    return diff_bodies(old.body, new.body, old.label, new.label)
