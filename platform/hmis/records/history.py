"""A client's profile history: who changed which profile field, when, from what to what.

The audit log is the source of truth: every write of a client's HUD fields goes through
the records service (:mod:`hmis.records.clients`, which the profile form, the workflow
steps, assessments asking Client fields and the CLI all use) and records
``record.create`` / ``record.update`` with the fields' before and after values; merges
and their undoing record ``client.merge`` / ``client.merge_undo``. Those events are read
here, newest first, a page at a time, and turned into lines a case manager can read:
field labels, code-list labels, and the SSN only ever in its masked form.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select

from ..access.operations import Actor, operation
from ..extensions import db
from ..hud import codelists
from ..hud.spec import SPEC
from ..models import Client
from ..models.audit import AuditEvent
from ..models.core import CustomDataElementDefinition
from ..models.identity import ClientMerge
from .profile import CUSTOM_PREFIX
from .visibility import require_client

#: The audit actions that change a client's profile (the rest of the log is elsewhere).
PROFILE_ACTIONS = ("record.create", "record.update")
MERGE_ACTIONS = ("client.merge", "client.merge_undo")
PER_PAGE = 25
MAX_PER_PAGE = 100

#: Labels of the Client fields, as the client page names them.
FIELD_LABELS = {
    "first_name": "First name", "middle_name": "Middle name", "last_name": "Last name", "name_suffix": "Suffix",
    "name_data_quality": "Name data quality", "ssn": "SSN", "ssn_data_quality": "SSN data quality",
    "dob": "Date of birth", "dob_data_quality": "DOB data quality", "sex": "Sex",
    "race_none": "Race and ethnicity: why none", "additional_race_ethnicity": "Additional race and ethnicity detail",
    "veteran_status": "Veteran status", "year_entered_service": "Year entered military service",
    "year_separated": "Year separated from military service", "world_war_ii": "Theater: World War II",
    "korean_war": "Theater: Korean War", "vietnam_war": "Theater: Vietnam War",
    "desert_storm": "Theater: Persian Gulf War (Desert Storm)", "afghanistan_oef": "Theater: Afghanistan (OEF)",
    "iraq_oif": "Theater: Iraq (OIF)", "iraq_ond": "Theater: Iraq (OND)", "other_theater": "Theater: other",
    "military_branch": "Branch of the armed forces", "discharge_status": "Discharge status",
}
_COLUMNS = {column.attr: column for column in SPEC["Client"].columns}
#: Values the audit log kept for an SSN before it kept the masked form.
_SSN_ON_FILE = "(on file)"


@dataclass(frozen=True)
class Change:
    """One field of one event: its label and the values before and after, ready to show."""

    label: str
    before: str
    after: str


@dataclass
class HistoryEntry:
    """One event of the history: when, who, what kind, and the fields it changed."""

    when: datetime
    who: str
    kind: str  #: created, changed, merged, merge_undone
    summary: str
    changes: list[Change] = field(default_factory=list)


def _race_label(attr: str) -> str | None:
    from ..web.pages import RACE_FIELDS

    return next((f"Race and ethnicity: {label}" for column, label in RACE_FIELDS if column == attr), None)


def field_label(attr: str) -> str:
    """A Client field's label, or a custom profile question's (``custom:<key>``); the
    attribute itself for one the HMIS does not know."""
    if attr.startswith(CUSTOM_PREFIX):
        key = attr[len(CUSTOM_PREFIX):]
        label = db.session.scalar(select(CustomDataElementDefinition.label)
                                  .where(CustomDataElementDefinition.key == key))
        return label or key
    return FIELD_LABELS.get(attr) or _race_label(attr) or attr.replace("_", " ").capitalize()


def masked_ssn(value: Any) -> str:
    """The SSN as the client page shows it: the last four at most, never the number."""
    text = str(value or "").replace("-", "").strip()
    if not text:
        return "—"
    if text == _SSN_ON_FILE:
        return "On file"
    last4 = text[-4:]
    return f"•••-••-{last4}" if len(text) == 9 and last4.isdigit() else "On file"


def shown_value(attr: str, value: Any) -> str:
    """A value as a person reads it: a code's label (with its code), dates as written, SSNs masked."""
    if attr == "ssn":
        return masked_ssn(value)
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):  # a custom question with several answers
        return ", ".join(str(v) for v in value)
    column = _COLUMNS.get(attr)
    list_id = codelists.list_for(column, {}) if column is not None else None
    if list_id and str(value).lstrip("-").isdigit():
        label = codelists.label(list_id, int(value))
        if label:
            return label
    return str(value)


NAME_FIELDS = frozenset({"first_name", "middle_name", "last_name", "name_suffix"})
HIDDEN = "(hidden)"


def _changes(details: dict[str, Any] | None) -> list[Change]:
    details = details or {}
    before, after = details.get("before") or {}, details.get("after") or {}
    order = list(FIELD_LABELS)
    attrs = sorted(set(before) | set(after), key=lambda a: (order.index(a) if a in order else len(order), a))
    shown = [Change(field_label(a), shown_value(a, before.get(a)), shown_value(a, after.get(a))) for a in attrs]
    return [change for change in shown if change.before != change.after]


def _merge_changes(fields: dict[str, Any] | None) -> list[Change]:
    """The survivor's fields a merge took from the other record (``{name: {old, new}}``)."""
    return [Change(field_label(name), shown_value(name, values.get("old")), shown_value(name, values.get("new")))
            for name, values in (fields or {}).items() if isinstance(values, dict)]


def _entry(event: AuditEvent, client: Client) -> HistoryEntry:
    who = event.account_email or "the system"
    details = event.details or {}
    if event.action == "record.create":
        return HistoryEntry(event.occurred_dt, who, "created", "Client created", _changes(details))
    if event.action == "record.update":
        return HistoryEntry(event.occurred_dt, who, "changed", "Profile changed", _changes(details))
    survivor, merged = details.get("survivor_id"), details.get("merged_id")
    if event.action == "client.merge":
        if merged == client.id:
            return HistoryEntry(event.occurred_dt, who, "merged", f"Merged into client {survivor}: this record was "
                                "retired and its enrollments and services moved there")
        return HistoryEntry(event.occurred_dt, who, "merged", f"Client {merged} merged into this record",
                            _merge_changes(details.get("fields")))
    restored = ", ".join(field_label(name) for name in details.get("restored_fields") or [])
    summary = (f"Merge with client {merged} undone: that record is separate again"
               if merged != client.id else f"Merge into client {survivor} undone: this record is live again")
    return HistoryEntry(event.occurred_dt, who, "merge_undone",
                        summary + (f"; restored {restored}" if restored and merged != client.id else ""))


def history_statement(client: Client) -> Select:
    """The audit events of ``client``'s profile, newest first: its own creates and updates,
    merges into it (and their undoing), and the merge that retired it if there was one."""
    merges_away = [row.survivor_id for row in db.session.execute(
        select(ClientMerge.survivor_id).where(ClientMerge.merged_id == client.id))]
    subject = and_(AuditEvent.subject_type == "client", AuditEvent.subject_id == str(client.id),
                   AuditEvent.action.in_(PROFILE_ACTIONS + MERGE_ACTIONS))
    if merges_away:
        # A merge is logged on the survivor; the retired record's history shows it too.
        subject = or_(subject, and_(AuditEvent.subject_type == "client",
                                    AuditEvent.subject_id.in_([str(s) for s in merges_away]),
                                    AuditEvent.action.in_(MERGE_ACTIONS),
                                    AuditEvent.details["merged_id"].as_integer() == client.id))
    return select(AuditEvent).where(subject).order_by(AuditEvent.occurred_dt.desc(), AuditEvent.id.desc())


@dataclass
class HistoryPage:
    """One page of a client's history, and what the pager needs."""

    entries: list[HistoryEntry]
    page: Any  #: the Flask-SQLAlchemy pagination of the events


@operation("clients.history", permission="clients.view")
def profile_history(actor: Actor, client: Client, page: int = 1, per_page: int = PER_PAGE) -> HistoryPage:
    """A page of ``client``'s profile history, newest first, if ``actor`` may see the client.

    :raise PermissionDenied: the client's record is not shared with the actor's agency.
    """
    from ..access import policy

    require_client(actor, client)
    hide_names = policy.is_name_hidden(actor, client)
    events = db.paginate(history_statement(client), page=max(1, page), per_page=max(1, min(per_page, MAX_PER_PAGE)),
                         max_per_page=MAX_PER_PAGE, error_out=False, count=True)
    entries = [_entry(event, client) for event in events.items]
    if hide_names:  # a restricted client's name is not shown to other agencies, here either
        labels = {field_label(name) for name in NAME_FIELDS}
        for entry in entries:
            entry.changes = [Change(c.label, HIDDEN, HIDDEN) if c.label in labels else c for c in entry.changes]
    return HistoryPage(entries, events)
