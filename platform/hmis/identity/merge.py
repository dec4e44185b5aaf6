"""Merge two client records of one person, and undo a merge.

A merge keeps the *survivor* and retires the *merged* client (marked deleted, never
removed, so the merge can be undone). In one transaction it:

1. locks both client rows (``SELECT ... FOR UPDATE`` on PostgreSQL) and re-checks them:
   still live, same data source, the caller's version (so a page opened before
   someone else's edit or merge cannot overwrite it), the privacy policy;
2. copies the chosen field values (field by field) onto the survivor;
3. moves every row that belongs to the merged client to the survivor (see
   :mod:`hmis.identity.references`), remembering each moved row's id;
4. marks the merged client deleted with a conditional UPDATE (``... WHERE date_deleted IS
   NULL``, the survivor is claimed the same way first): of two merges racing for the same
   client only one changes a row, on every backend, and the other is told;
5. flags enrollments of the two records in the same project whose dates overlap;
6. writes a :class:`ClientMerge` with the before-state, refreshes the person keys and
   audits the merge.

Only records of the same data source are merged: HUD identifiers (PersonalID,
EnrollmentID, ProjectID) are scoped by their source, so a row cannot move to another
source's client. Records of two sources are *linked* instead (:mod:`hmis.identity.links`);
reports count them once. (A re-import of an imported source may bring a merged-away record
back; see README.md.)

Undo restores the merged client exactly as it was, moves back the rows that were moved
(rows added to the survivor since stay with it), and puts back the survivor's old values
only for fields that still hold the merged value (a later edit wins).
"""
from __future__ import annotations

import hashlib
import importlib
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Mapping

from sqlalchemy import Date, DateTime, Numeric, and_, func, select, tuple_, update
from sqlalchemy.exc import OperationalError

from ..access import audit, sensitive
from ..access.operations import Actor, PermissionDenied, operation
from ..extensions import db
from ..models import Client, Enrollment, Exit
from ..models.core import utcnow
from ..models.identity import ClientMerge, DuplicateCandidate
from . import resolved
from .errors import ClientNotFound, IdentityError, MergeConflict
from .references import Reference, client_references, unique_column_sets

#: Client columns that identify the record or its history rather than describe the person.
NOT_CHOOSABLE = frozenset({"id", "data_source_id", "personal_id", "date_created", "date_updated",
                           "date_deleted", "user_id", "export_id"})
#: The fields a person chooses between, in the order of the Client table.
CHOOSABLE_FIELDS = tuple(c.key for c in Client.__table__.columns if c.key not in NOT_CHOOSABLE)
CHOICES = ("survivor", "merged")
#: The privacy policy's scope checked on both clients (their enrollments are checked one by one).
POLICY_SCOPE = "profile"
CHUNK = 500


# -- values <-> JSON ------------------------------------------------------------------------

def to_json(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _from_json(column, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column.type, Date):
        return date.fromisoformat(value)
    if isinstance(column.type, Numeric):
        return Decimal(value)
    return value


def client_row(client: Client) -> dict[str, Any]:
    """Every column of a client, as JSON values."""
    return {c.key: to_json(getattr(client, c.key)) for c in Client.__table__.columns}


def pair_version(survivor: Client, merged: Client) -> str:
    """A short fingerprint of both records: a merge form carries it, and a merge whose
    records changed since the form was drawn is refused."""
    # Either may be kept, so the order is by id; date_updated is left out because the merge
    # itself touches the survivor before it compares (any real edit changes a field too).
    rows = sorted(({k: v for k, v in client_row(c).items() if k != "date_updated"} for c in (survivor, merged)),
                  key=lambda row: row["id"])
    text = json.dumps(rows, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def default_choices(survivor: Client, merged: Client) -> dict[str, str]:
    """Keep the survivor's value, unless it has none and the merged record does."""
    return {f: "merged" if getattr(survivor, f) is None and getattr(merged, f) is not None else "survivor"
            for f in CHOOSABLE_FIELDS}


# -- checks ---------------------------------------------------------------------------------

def _lock_clients(ids: list[int]) -> dict[int, Client]:
    """Load and lock the clients (lowest id first, so two merges never wait on each other crosswise)."""
    rows = db.session.scalars(select(Client).where(Client.id.in_(ids)).order_by(Client.id)
                              .with_for_update().execution_options(populate_existing=True)).all()
    found = {c.id: c for c in rows}
    for client_id in ids:
        if client_id not in found:
            raise ClientNotFound(f"There is no client {client_id}.")
    return found


def check_policy(actor: Actor, client: Client) -> None:
    """Apply the privacy policy (:mod:`hmis.access.policy`): the actor must see the client's
    profile, and every live enrollment of it that a merge would move or an undo move back
    (a restricted client of another agency, or a victim-service provider's enrollment, is
    refused with PermissionDenied). Skipped only while no policy module exists."""
    try:
        policy = importlib.import_module("hmis.access.policy")
    except ModuleNotFoundError as exc:
        if exc.name != "hmis.access.policy":
            raise  # the policy exists but something it imports is missing: that is a real error
        return
    policy.require_client(actor, client, POLICY_SCOPE)
    filter_enrollments = getattr(policy, "filter_enrollments", None)
    if filter_enrollments is None:
        return
    mine = select(func.count()).select_from(Enrollment).where(
        Enrollment.data_source_id == client.data_source_id, Enrollment.personal_id == client.personal_id,
        Enrollment.date_deleted.is_(None))
    visible = db.session.scalar(filter_enrollments(actor, mine))
    if visible != db.session.scalar(mine):
        raise PermissionDenied(f"Client {client.id} has enrollments your role may not see (another agency's or a "
                               "victim-service provider's); they cannot be merged from your account.")


def _active_merge_into(client_id: int) -> ClientMerge | None:
    return db.session.scalar(select(ClientMerge).where(ClientMerge.merged_id == client_id,
                                                       ClientMerge.status == "active"))


def _live_or_conflict(client: Client, role: str) -> None:
    if client.date_deleted is None:
        return
    earlier = _active_merge_into(client.id)
    if earlier is not None:
        raise MergeConflict(f"The {role} record (client {client.id}) was already merged into client "
                            f"{earlier.survivor_id} (merge {earlier.id}); reload the comparison.")
    raise MergeConflict(f"The {role} record (client {client.id}) is deleted.")


def _conditional(statement, message: str) -> None:
    """Run an UPDATE that must change exactly one row, else someone else changed it first.

    This is the version check that works on every backend: on SQLite (no row locks) the
    first such UPDATE also opens the write transaction, so what is read after it is current.
    """
    try:
        changed = db.session.execute(statement.execution_options(synchronize_session="fetch")).rowcount
    except OperationalError as exc:
        # SQLite: another connection wrote these rows after this transaction read them.
        if "locked" in str(exc).lower() or "busy" in str(exc).lower():
            raise MergeConflict("Another change to these clients was saved at the same moment; "
                                "reload and decide again.") from None
        raise
    if changed != 1:
        raise MergeConflict(message)


def _claim_survivor(client_id: int) -> None:
    _conditional(update(Client).where(Client.id == client_id, Client.date_deleted.is_(None))
                 .values(date_updated=utcnow()),
                 f"Client {client_id} was merged away or deleted by someone else meanwhile; reload and decide again.")


def _retire(client_id: int) -> None:
    """Mark the merged client deleted, unless someone else did first."""
    now = utcnow()
    _conditional(update(Client).where(Client.id == client_id, Client.date_deleted.is_(None))
                 .values(date_deleted=now, date_updated=now),
                 f"Client {client_id} was merged or deleted by someone else meanwhile; reload and decide again.")


# -- moving rows ----------------------------------------------------------------------------

def _pk(table):
    columns = list(table.primary_key.columns)
    return columns[0] if len(columns) == 1 else tuple_(*columns)


def _pk_values(table, rows) -> list:
    return [row[0] if len(table.primary_key.columns) == 1 else list(row) for row in rows]


def _owner_condition(ref: Reference, client: Client):
    column = ref.table.c[ref.column]
    if ref.kind == "id":
        return and_(column == client.id, *ref.where)
    return and_(column == client.personal_id, ref.table.c.data_source_id == client.data_source_id, *ref.where)


def _in(table, ids: list):
    key = _pk(table)
    if len(table.primary_key.columns) == 1:
        return key.in_(ids)
    return key.in_([tuple(v) for v in ids])


def _move(ref: Reference, source: Client, target: Client) -> dict[str, Any] | None:
    """Move ``source``'s rows in one table to ``target``; rows that would collide with one
    ``target`` already has (a one-per-client table) stay behind and are reported."""
    table = ref.table
    pk_columns = list(table.primary_key.columns)
    unique_sets = unique_column_sets(ref)
    extra = sorted({n for others in unique_sets for n in others} - {c.name for c in pk_columns})
    rows = [row._mapping for row in db.session.execute(
        select(*pk_columns, *[table.c[n] for n in extra]).where(_owner_condition(ref, source)))]
    if not rows:
        return None

    def key(row) -> tuple:
        return tuple(row[c.name] for c in pk_columns)

    left: set[tuple] = set()
    for others in unique_sets:
        if others:
            taken = {tuple(r) for r in db.session.execute(
                select(*[table.c[n] for n in others]).where(_owner_condition(ref, target))).all()}
        else:  # one row per client: the survivor's own row wins
            has_one = db.session.scalar(select(func.count()).select_from(table).where(_owner_condition(ref, target)))
            taken = {()} if has_one else set()
        left |= {key(r) for r in rows if tuple(r[n] for n in others) in taken}
    ids = _pk_values(table, [key(r) for r in rows if key(r) not in left])
    new_value = target.id if ref.kind == "id" else target.personal_id
    for start in range(0, len(ids), CHUNK):
        db.session.execute(table.update().where(_in(table, ids[start:start + CHUNK]))
                           .values({ref.column: new_value}))
    return {"table": table.name, "column": ref.column, "kind": ref.kind,
            "old": source.id if ref.kind == "id" else source.personal_id, "new": new_value,
            "ids": ids, "left_behind": _pk_values(table, sorted(left))}


# -- overlap flags --------------------------------------------------------------------------

def overlapping_enrollments(client: Client, moved_enrollment_ids: set[int]) -> list[dict[str, Any]]:
    """Pairs of the client's enrollments in one project whose dates overlap, where one came from
    the merged record and one was the survivor's: most likely the same stay entered twice."""
    rows = db.session.execute(
        select(Enrollment.id, Enrollment.enrollment_id, Enrollment.project_id, Enrollment.entry_date, Exit.exit_date)
        .outerjoin(Exit, and_(Exit.data_source_id == Enrollment.data_source_id,
                              Exit.enrollment_id == Enrollment.enrollment_id))
        .where(Enrollment.data_source_id == client.data_source_id, Enrollment.personal_id == client.personal_id,
               Enrollment.date_deleted.is_(None))).all()
    far = date.max
    flags = []
    for i, a in enumerate(rows):
        for b in rows[i + 1:]:
            if a.project_id != b.project_id or ((a.id in moved_enrollment_ids) == (b.id in moved_enrollment_ids)):
                continue
            if a.entry_date is None or b.entry_date is None:
                continue
            if a.entry_date <= (b.exit_date or far) and b.entry_date <= (a.exit_date or far):
                flags.append({"project_id": a.project_id, "enrollments": [a.enrollment_id, b.enrollment_id],
                              "ids": [a.id, b.id]})
    return flags


# -- the operations -------------------------------------------------------------------------

def _validate_choices(choices: Mapping[str, str] | None) -> dict[str, str]:
    choices = dict(choices or {})
    for name, choice in choices.items():
        if name not in CHOOSABLE_FIELDS:
            raise IdentityError(f"Field choice {name!r}: not a client field that can be chosen "
                                f"(one of {', '.join(CHOOSABLE_FIELDS[:6])}, ...).")
        if choice not in CHOICES:
            raise IdentityError(f"Field choice {name!r}: {choice!r} must be 'survivor' or 'merged'.")
    return choices


@operation("duplicates.merge", permission="duplicates.merge")
def merge_clients(actor: Actor, survivor_id: int, merged_id: int, choices: Mapping[str, str] | None = None, *,
                  expected_version: str | None = None) -> ClientMerge:
    """Merge client ``merged_id`` into ``survivor_id`` (flushed; the caller commits).

    ``choices`` maps a field to ``"survivor"`` or ``"merged"`` (fields left out keep the
    survivor's value). Raises :class:`IdentityError` (and subclasses) with the reason.
    """
    if survivor_id == merged_id:
        raise IdentityError(f"Client {survivor_id} cannot be merged into itself: choose two different records.")
    choices = _validate_choices(choices)
    clients = _lock_clients(sorted((survivor_id, merged_id)))
    survivor, merged = clients[survivor_id], clients[merged_id]
    _live_or_conflict(survivor, "surviving")
    _live_or_conflict(merged, "merged")
    if survivor.data_source_id != merged.data_source_id:
        raise IdentityError(f"Clients {survivor_id} and {merged_id} come from different data sources: their "
                            "records belong to their own systems and cannot be merged; link them instead.")
    check_policy(actor, survivor)
    check_policy(actor, merged)
    # From here on nobody else can change the pair: re-read it as it is now.
    _claim_survivor(survivor.id)
    db.session.refresh(survivor)
    db.session.refresh(merged)
    _live_or_conflict(merged, "merged")
    if expected_version is not None and expected_version != pair_version(survivor, merged):
        raise MergeConflict("These records changed since the comparison was opened; review them again.")

    before_merged = client_row(merged)
    _retire(merged.id)
    survivor_fields: dict[str, dict[str, Any]] = {}
    for name, choice in choices.items():
        if name == "ssn":  # client.ssn is only the masked form: the number moves encrypted
            if choice == "merged" and sensitive.ssn_of(db.session, merged) != sensitive.ssn_of(db.session, survivor):
                survivor_fields["ssn"] = _take_ssn(survivor, merged)
            continue
        new = getattr(merged, name)
        if choice == "merged" and new != getattr(survivor, name):
            survivor_fields[name] = {"old": to_json(getattr(survivor, name)), "new": to_json(new)}
            setattr(survivor, name, new)
    survivor.date_updated = utcnow()
    db.session.flush()

    moved = [entry for ref in client_references() if (entry := _move(ref, merged, survivor))]
    moved_enrollments = {i for e in moved if e["table"] == "enrollment" for i in e["ids"]}
    flags = {"overlapping_enrollments": overlapping_enrollments(survivor, moved_enrollments),
             "left_behind": {e["table"]: len(e["left_behind"]) for e in moved if e["left_behind"]}}
    record = ClientMerge(survivor_id=survivor.id, merged_id=merged.id, account_id=actor.account_id, flags=flags,
                         before_state={"merged_client": before_merged, "survivor_fields": survivor_fields,
                                       "moved": moved})
    db.session.add(record)
    _decide_candidates(survivor.id, merged.id, "merged", actor)
    db.session.flush()
    resolved.refresh([survivor.id, merged.id])
    audit.record("client.merge", subject_type="client", subject_id=survivor.id, details={
        "merge_id": record.id, "survivor_id": survivor.id, "merged_id": merged.id,
        "merged_personal_id": merged.personal_id, "fields": _audit_fields(survivor_fields),
        "moved": {e["table"]: len(e["ids"]) for e in moved}, "flags": flags, "actor": actor.name or None})
    return record


def _take_ssn(survivor: Client, merged: Client) -> dict[str, Any]:
    """Give the survivor the merged record's SSN; remember its own (masked, and encrypted for the undo)."""
    kept = sensitive.snapshot(db.session, survivor)
    sensitive.restore(db.session, survivor, sensitive.snapshot(db.session, merged)["encrypted"])
    return {"old": kept["masked"], "new": survivor.ssn, "old_encrypted": kept["encrypted"]}


def _decide_candidates(a: int, b: int, status: str, actor: Actor) -> None:
    low, high = sorted((a, b))
    db.session.execute(update(DuplicateCandidate).where(
        DuplicateCandidate.client_a_id == low, DuplicateCandidate.client_b_id == high)
        .values(status=status, decided_dt=utcnow(), decided_by_id=actor.account_id)
        .execution_options(synchronize_session=False))


def _children_follow_enrollments(state: dict[str, Any], merged: Client) -> int:
    """Rows added since the merge under an enrollment that now moves back (a service recorded
    on it, an exit) go back with it: HUD records repeat their enrollment's PersonalID."""
    moved = next((e for e in state.get("moved", []) if e["table"] == "enrollment"), None)
    if moved is None or not moved["ids"]:
        return 0
    enrollment_ids = list(db.session.scalars(select(Enrollment.enrollment_id).where(
        Enrollment.id.in_(moved["ids"]), Enrollment.personal_id == merged.personal_id,
        Enrollment.data_source_id == merged.data_source_id)))
    count = 0
    for ref in client_references():
        table = ref.table
        if ref.kind != "personal_id" or table.name == "enrollment" or "enrollment_id" not in table.c:
            continue
        for start in range(0, len(enrollment_ids), CHUNK):
            count += db.session.execute(table.update().where(
                table.c.data_source_id == merged.data_source_id, table.c.personal_id == moved["new"],
                table.c.enrollment_id.in_(enrollment_ids[start:start + CHUNK]))
                .values(personal_id=merged.personal_id)).rowcount
    return count


def _audit_fields(fields: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Field changes for the audit log, with SSNs reduced to their last four digits."""
    def mask(value: Any) -> Any:
        return f"*****{str(value)[-4:]}" if value else value

    return {name: ({k: mask(v) for k, v in values.items() if k != "old_encrypted"} if name == "ssn" else values)
            for name, values in fields.items()}


def undo_preview(record: ClientMerge) -> dict[str, Any]:
    """What undoing ``record`` would do now, for the page that offers it."""
    state = record.before_state
    survivor = db.session.get(Client, record.survivor_id)
    restore, keep = [], []
    for name, values in state.get("survivor_fields", {}).items():
        (restore if to_json(getattr(survivor, name)) == values["new"] else keep).append(name)
    later = _active_merge_into(record.survivor_id)
    return {"moved": {e["table"]: len(e["ids"]) for e in state.get("moved", [])},
            "restore_fields": restore, "keep_fields": keep,
            "blocked_by": later.id if later is not None else None}


@operation("duplicates.undo_merge", permission="duplicates.merge")
def undo_merge(actor: Actor, merge_id: int) -> ClientMerge:
    """Undo merge ``merge_id`` (flushed; the caller commits). See the module docstring."""
    record = db.session.scalar(select(ClientMerge).where(ClientMerge.id == merge_id).with_for_update()
                               .execution_options(populate_existing=True))
    if record is None:
        raise IdentityError(f"There is no merge {merge_id}.")
    if record.status != "active":
        raise MergeConflict(f"Merge {merge_id} was already undone.")
    # Claim the merge (the version check on every backend), then read the pair as it is now.
    _conditional(update(ClientMerge).where(ClientMerge.id == merge_id, ClientMerge.status == "active")
                 .values(status="undone"), f"Merge {merge_id} was already undone.")
    clients = _lock_clients(sorted((record.survivor_id, record.merged_id)))
    survivor, merged = clients[record.survivor_id], clients[record.merged_id]
    later = _active_merge_into(survivor.id)
    if later is not None:
        raise MergeConflict(f"Client {survivor.id} was later merged into client {later.survivor_id} "
                            f"(merge {later.id}): undo that merge first.")
    check_policy(actor, survivor)
    check_policy(actor, merged)
    state = record.before_state

    # The merged client comes back exactly as it was (its deletion mark with it).
    columns = Client.__table__.columns
    changed = db.session.execute(
        update(Client).where(Client.id == merged.id, Client.date_deleted.is_not(None))
        .values({c.key: _from_json(c, state["merged_client"].get(c.key)) for c in columns if c.key != "id"})
        .execution_options(synchronize_session="fetch")).rowcount
    if changed != 1:
        raise MergeConflict(f"Client {merged.id} is no longer marked merged (someone restored it); nothing undone.")

    moved_back: dict[str, int] = {}
    stayed: dict[str, int] = {}
    for entry in state.get("moved", []):
        table = db.metadata.tables.get(entry["table"])
        if table is None or not entry["ids"]:
            continue
        column = table.c[entry["column"]]
        count = 0
        for start in range(0, len(entry["ids"]), CHUNK):
            condition = [_in(table, entry["ids"][start:start + CHUNK]), column == entry["new"]]
            if entry["kind"] == "personal_id":
                condition.append(table.c.data_source_id == merged.data_source_id)
            count += db.session.execute(table.update().where(*condition).values({entry["column"]: entry["old"]})
                                        ).rowcount
        moved_back[entry["table"]] = count
        if count != len(entry["ids"]):
            stayed[entry["table"]] = len(entry["ids"]) - count  # deleted or moved again since

    followed = _children_follow_enrollments(state, merged)

    restored, kept = [], []
    for name, values in state.get("survivor_fields", {}).items():
        if to_json(getattr(survivor, name)) == values["new"]:
            if name == "ssn":  # the survivor's own number, kept encrypted by the merge
                sensitive.restore(db.session, survivor, values.get("old_encrypted"))
            else:
                setattr(survivor, name, _from_json(columns[name], values["old"]))
            restored.append(name)
        else:
            kept.append(name)  # edited after the merge: the later edit wins
    survivor.date_updated = utcnow()

    record.status = "undone"
    record.undone_dt = utcnow()
    record.undone_by_id = actor.account_id
    record.undo_summary = {"moved_back": moved_back, "not_moved_back": stayed, "followed_enrollments": followed,
                           "restored_fields": restored, "kept_fields": kept}
    low, high = sorted((survivor.id, merged.id))
    db.session.execute(update(DuplicateCandidate).where(
        DuplicateCandidate.client_a_id == low, DuplicateCandidate.client_b_id == high,
        DuplicateCandidate.status == "merged").values(status="open", decided_dt=None, decided_by_id=None)
        .execution_options(synchronize_session=False))
    db.session.flush()
    resolved.refresh([survivor.id, merged.id])
    audit.record("client.merge_undo", subject_type="client", subject_id=survivor.id, details={
        "merge_id": record.id, "survivor_id": survivor.id, "merged_id": merged.id, **record.undo_summary})
    return record
