"""Write a submitted form's HUD values into HUD rows: the assessment half of the records service.

:func:`apply_submission` is called by :func:`hmis.forms.responses.save_response` in the
same transaction as the response row, so an assessment is written whole or not at all.

* ``Client`` and ``Enrollment`` (and the enrollment's one ``Exit``) are shared rows: a
  form updates the fields it showed and answered; a blank answer never wipes a value
  entered elsewhere.
* The per-assessment records (IncomeBenefits, HealthAndDV, EmploymentEducation,
  Disabilities, YouthEducationStatus) get one new row per submission, stamped with the
  form's DataCollectionStage and InformationDate; occurrence records
  (CurrentLivingSituation, Services, Event, Assessment) one row each. A response that is
  corrected and submitted again updates the rows it wrote before (``response.written``).
* New rows go into the enrollment's data source (HUD's composite keys tie a child row to
  its enrollment's source; for records typed into this HMIS that is ``local``), with
  new HUD keys, DateCreated/DateUpdated/UserID, and an audit event with the changes.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from ..access import audit
from ..access.operations import Actor, operation
from ..custom_data import CustomDataError, define_element, set_value
from ..extensions import db
from ..hud.spec import SPEC
from ..models import HUD_MODELS, CustomDataElementDefinition, Exit
from .ids import local_source, new_key
from .stamps import stamp_changed, stamp_new

__all__ = ["AssessmentError", "apply_submission"]

#: Records with one row per assessment (they carry DataCollectionStage).
STAGED_RECORDS = ("IncomeBenefits", "HealthAndDV", "EmploymentEducation", "Disabilities", "YouthEducationStatus")
#: Records with one row per occurrence (a contact, a service, a CE event or assessment).
OCCURRENCE_RECORDS = ("CurrentLivingSituation", "Services", "Event", "Assessment")
_DATE_COLUMNS = {"CurrentLivingSituation": "information_date", "Services": "date_provided", "Event": "event_date",
                 "Assessment": "assessment_date"}
_CUSTOM_TYPES = {"text": "string", "textarea": "string", "open_choice": "string", "integer": "integer",
                 "decimal": "decimal", "currency": "decimal", "date": "date", "boolean": "boolean",
                 "choice": "string"}


class AssessmentError(ValueError):
    """The submission cannot be written (e.g. an exit form with no enrollment); safe to show.

    ``fields`` names the HUD fields at fault, ``{(record, column): message}``, so the
    form can show each message at the item that collects the field.
    """

    def __init__(self, message: str, fields: dict[tuple[str, str], str] | None = None) -> None:
        super().__init__(message)
        self.fields = dict(fields or {})


def _write_client(actor: Actor, client: Any, fields: dict[str, Any], *, blanks_clear: bool) -> None:
    """Client fields go through the records service, which checks them as creating a client
    does (data quality, SSN) and keeps the SSN its own way."""
    from .clients import apply_client_fields
    from .errors import RecordInvalid

    try:
        apply_client_fields(actor, client, _attrs("Client", fields), blanks_clear=blanks_clear)
    except RecordInvalid as error:
        columns = {column.attr: column.name for column in SPEC["Client"].columns}
        problems = {("Client", columns.get(attr, attr)): message for attr, message in error.errors.items() if attr}
        message = " ".join(error.errors.values()) or str(error)
        raise AssessmentError(message, problems) from None


def _plain(value: Any) -> Any:
    if isinstance(value, (date, Decimal)):
        return str(value)
    return value


def _snapshot(row: Any, attrs: list[str]) -> dict[str, Any]:
    return {attr: _plain(getattr(row, attr)) for attr in attrs}


def _attrs(record: str, fields: dict[str, Any]) -> dict[str, Any]:
    hud_file = SPEC[record]
    return {hud_file.column(name).attr: value for name, value in fields.items()}


def _update_shared(actor: Actor, row: Any, record: str, fields: dict[str, Any], *, flush: bool = True) -> None:
    """Set the answered fields of a shared row; audit what changed. ``flush``: False
    leaves the UPDATE to the caller's flush (a page's members' rows go in together)."""
    values = {attr: value for attr, value in _attrs(record, fields).items() if value is not None}
    before = _snapshot(row, list(values))
    changed = {attr: value for attr, value in values.items() if getattr(row, attr) != value}
    if not changed:
        return
    for attr, value in changed.items():
        setattr(row, attr, value)
    stamp_changed(row, actor)
    if flush:
        db.session.flush()
    audit.record("record.update", subject_type=record, subject_id=getattr(row, SPEC[record].key.attr),
                 details=audit.changes(before, _snapshot(row, list(values))))


def _new_row(actor: Actor, record: str, source_id: int, enrollment: Any, extra: dict[str, Any]) -> Any:
    model = HUD_MODELS[record]
    row = model(data_source_id=source_id, **{SPEC[record].key.attr: new_key()})
    if enrollment is not None:
        row.enrollment_id = enrollment.enrollment_id
        row.personal_id = enrollment.personal_id
    for attr, value in extra.items():
        setattr(row, attr, value)
    stamp_new(row, actor)
    db.session.add(row)
    return row


@operation("assessments.apply_submission", permission="assessments.edit")
def apply_submission(actor: Actor, context: Any, submission: Any, response: Any, *,
                     flush: bool = True) -> dict[str, Any]:
    """Write ``submission.records`` and ``submission.custom`` for ``context``; returns
    (and stores in ``response.written``) the rows written, so a resubmission updates them.
    Flushes; the caller commits. ``flush``: False for a caller that flushes once for
    several submissions (a household's page): changed Client and Enrollment fields and
    the response are then left for that flush (new rows are still flushed, for their ids)."""
    from ..forms.items import STAGE_CODES

    enrollment, client = context.enrollment, context.client
    stage_code = STAGE_CODES.get(context.stage)
    written: dict[str, Any] = dict(response.written or {})
    info_date = context.information_date or (enrollment.entry_date if enrollment is not None else None) \
        or date.today()
    exit_date = submission.records.get(("Exit", ()), {}).get("ExitDate")
    if context.stage == "exit" and exit_date is not None:
        info_date = exit_date  # HUD: at exit, InformationDate is the exit date
    source_id = enrollment.data_source_id if enrollment is not None else (
        client.data_source_id if client is not None else local_source().id)

    for (record, key), fields in sorted(submission.records.items(), key=lambda entry: (entry[0][0], entry[0][1])):
        if record == "Client":
            if client is None:
                # Clients are created by the records service, which searches for duplicates first.
                raise AssessmentError("This form records client details; find or create the client first, "
                                      "then fill it in from their record.")
            # On the profile screen every current value is shown, so a blank is a clear.
            _write_client(actor, client, fields, blanks_clear=context.stage == "profile")
            continue
        if enrollment is None:
            raise AssessmentError(f"This form records {record} data, which belongs to an enrollment; "
                                  "open it from the client's enrollment.")
        if record == "Enrollment":
            _update_shared(actor, enrollment, record, fields, flush=flush)
            continue
        if record == "Exit":
            row = db.session.scalar(select(Exit).where(Exit.data_source_id == enrollment.data_source_id,
                                                       Exit.enrollment_id == enrollment.enrollment_id,
                                                       Exit.date_deleted.is_(None)))
            if row is None:
                row = _new_row(actor, "Exit", source_id, enrollment, _attrs(record, fields))
                db.session.flush()
                audit.record("record.create", subject_type="Exit", subject_id=row.exit_id,
                             details=audit.changes(None, _snapshot(row, list(_attrs(record, fields)))))
            else:
                _update_shared(actor, row, record, fields)
            written["Exit|"] = row.id
            continue
        slot = f"{record}|{','.join(f'{k}={v}' for k, v in key)}"
        values = _attrs(record, fields)
        values.update(_attrs(record, dict(key)))
        if record in STAGED_RECORDS:
            values["information_date"] = info_date
            values["data_collection_stage"] = stage_code
        elif record in _DATE_COLUMNS and values.get(_DATE_COLUMNS[record]) is None:
            values[_DATE_COLUMNS[record]] = info_date
        existing = db.session.get(HUD_MODELS[record], written[slot]) if slot in written else None
        if existing is not None:
            before = _snapshot(existing, list(values))
            for attr, value in values.items():
                setattr(existing, attr, value)
            stamp_changed(existing, actor)
            db.session.flush()
            after = _snapshot(existing, list(values))
            if before != after:
                audit.record("record.update", subject_type=record,
                             subject_id=getattr(existing, SPEC[record].key.attr), details=audit.changes(before, after))
            continue
        row = _new_row(actor, record, source_id, enrollment, values)
        db.session.flush()
        written[slot] = row.id
        audit.record("record.create", subject_type=record, subject_id=getattr(row, SPEC[record].key.attr),
                     details=audit.changes(None, _snapshot(row, list(values))))

    _write_custom(context, submission, client, enrollment, stage_code, info_date)
    response.written = written
    if flush:
        db.session.flush()
    return written


def _write_custom(context: Any, submission: Any, client: Any, enrollment: Any, stage_code: int | None,
                  info_date: date) -> None:
    """Custom data elements, defined on first use from the item that collects them."""
    for key, value in submission.custom.items():
        owner_type = submission.custom_owners.get(key, "enrollment")
        owner = client if owner_type == "client" else enrollment
        if owner is None:
            raise AssessmentError(f"The custom question '{key}' belongs to a {owner_type}, and there is none here.")
        definition = db.session.scalar(select(CustomDataElementDefinition)
                                       .where(CustomDataElementDefinition.key == key))
        if definition is None:
            item_type = submission.custom_types.get(key, "text")
            define_element(key, submission.custom_labels.get(key, key)[:200], owner_type,
                           _CUSTOM_TYPES.get(item_type, "string"))
        stored = value
        if isinstance(value, (int, str)) and not isinstance(value, bool) and definition is not None \
                and definition.value_type == "string":
            stored = str(value)
        try:
            set_value(key, owner.id, stored, data_collection_stage=stage_code, information_date=info_date)
        except CustomDataError as error:
            raise AssessmentError(str(error)) from None
