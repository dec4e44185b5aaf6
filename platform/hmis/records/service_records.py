"""Services (HUD Services.csv), bed nights for a whole shelter night, current living situation.

Which TypeProvided codes are allowed depends on the RecordType (``hmis.hud.codelists``
knows the mapping); a service is dated on or after the enrollment's start and not after
its exit. Bed nights are services of RecordType 200 in night-by-night shelters: one
call records a night for many enrollments, skipping anyone who already has that night.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select

from ..access import audit
from ..access.operations import Actor, operation
from ..extensions import db
from ..models import CurrentLivingSituation, Enrollment, Services
from .errors import RecordInvalid
from .households import exit_of
from .hud_values import clean_row
from .ids import new_key
from .stamps import stamp_new
from .visibility import require_enrollment

BED_NIGHT = 200  #: RecordType 200, TypeProvided 200 (1.4 and its dependent list)


def _within(enrollment: Enrollment, when: date | None, field: str) -> None:
    if when is None:
        raise RecordInvalid({field: "Enter the date."})
    if enrollment.entry_date and when < enrollment.entry_date:
        raise RecordInvalid({field: f"This is before the project start date ({enrollment.entry_date})."})
    ended = exit_of(enrollment)
    if ended is not None and ended.exit_date and when > ended.exit_date:
        raise RecordInvalid({field: f"This is after the project exit date ({ended.exit_date})."})


@operation("services.record", permission="services.edit")
def record_service(actor: Actor, enrollment: Enrollment, record_type: int | str, type_provided: int | str,
                   date_provided: date | str, **details: Any) -> Services:
    """Record one service for an enrollment; ``details`` are other Services.csv fields
    (``fa_amount``, ``sub_type_provided``, ``other_type_provided``, ...)."""
    require_enrollment(actor, enrollment, write=True)
    forbidden = {"services_id", "enrollment_id", "personal_id", "data_source_id", "date_created", "date_updated",
                 "user_id", "date_deleted", "export_id"} & set(details)
    if forbidden:
        raise RecordInvalid({k: "This field is set by the HMIS." for k in sorted(forbidden)})
    raw = {"record_type": record_type, "type_provided": type_provided, "date_provided": date_provided, **details}
    values = clean_row("Services", raw)
    errors = {k: "Choose an answer." for k in ("record_type", "type_provided") if values.get(k) is None}
    if errors:
        raise RecordInvalid(errors)
    _within(enrollment, values["date_provided"], "date_provided")
    row = Services(data_source_id=enrollment.data_source_id, services_id=new_key(),
                   enrollment_id=enrollment.enrollment_id, personal_id=enrollment.personal_id, **values)
    stamp_new(row, actor)
    db.session.add(row)
    db.session.flush()
    audit.record("record.create", subject_type="service", subject_id=row.id,
                 details={"enrollment_id": enrollment.enrollment_id, "record_type": row.record_type,
                          "type_provided": row.type_provided, "date_provided": row.date_provided})
    return row


@operation("services.record_bed_nights", permission="services.edit")
def record_bed_nights(actor: Actor, enrollments: Sequence[Enrollment], night: date | str) -> dict[str, list]:
    """Record the bed night ``night`` for each enrollment at once.

    Returns ``{"recorded": [Services...], "already": [Enrollment...]}``; an enrollment
    that already has that night is left alone (so sending the list twice is harmless).
    Any enrollment the night does not fall within refuses the whole batch.
    """
    when = clean_row("Services", {"date_provided": night})["date_provided"]
    if when is None:
        raise RecordInvalid({"date_provided": "Enter the night."})
    errors: dict[str, str] = {}
    for enrollment in enrollments:
        try:
            require_enrollment(actor, enrollment, write=True)
            _within(enrollment, when, "date_provided")
        except RecordInvalid as exc:
            errors[f"enrollment-{enrollment.id}"] = exc.errors.get("date_provided", str(exc))
    if errors:
        raise RecordInvalid(errors)
    ids = [e.enrollment_id for e in enrollments]
    had = set(db.session.scalars(select(Services.enrollment_id).where(
        Services.data_source_id.in_({e.data_source_id for e in enrollments}), Services.enrollment_id.in_(ids),
        Services.record_type == BED_NIGHT, Services.date_provided == when, Services.date_deleted.is_(None))))
    recorded, already = [], []
    for enrollment in enrollments:
        if enrollment.enrollment_id in had:
            already.append(enrollment)
            continue
        row = Services(data_source_id=enrollment.data_source_id, services_id=new_key(),
                       enrollment_id=enrollment.enrollment_id, personal_id=enrollment.personal_id,
                       date_provided=when, record_type=BED_NIGHT, type_provided=BED_NIGHT)
        stamp_new(row, actor)
        db.session.add(row)
        recorded.append(row)
        had.add(enrollment.enrollment_id)
    db.session.flush()
    if recorded:
        audit.record("record.create", subject_type="bed_nights", subject_id=when.isoformat(),
                     details={"night": when, "enrollments": [r.enrollment_id for r in recorded]})
    return {"recorded": recorded, "already": already}


@operation("assessments.current_living_situation", permission="assessments.edit")
def record_current_living_situation(actor: Actor, enrollment: Enrollment, fields: Mapping[str, Any]
                                    ) -> CurrentLivingSituation:
    """Record a 4.12 current living situation (the CLS form's answers, as CurrentLivingSituation fields)."""
    require_enrollment(actor, enrollment, write=True)
    allowed = {c for c in ("information_date", "current_living_situation", "cls_subsidy_type", "verified_by",
                           "leave_situation14_days", "subsequent_residence", "resources_to_obtain",
                           "lease_own60_day", "moved_two_or_more", "location_details")}
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise RecordInvalid({k: "This is not a current living situation field." for k in unknown})
    values = clean_row("CurrentLivingSituation", fields)
    if values.get("current_living_situation") is None:
        raise RecordInvalid({"current_living_situation": "Choose the current living situation."})
    _within(enrollment, values.get("information_date"), "information_date")
    row = CurrentLivingSituation(data_source_id=enrollment.data_source_id, current_living_sit_id=new_key(),
                                 enrollment_id=enrollment.enrollment_id, personal_id=enrollment.personal_id,
                                 **values)
    stamp_new(row, actor)
    db.session.add(row)
    db.session.flush()
    audit.record("record.create", subject_type="current_living_situation", subject_id=row.id,
                 details={"enrollment_id": enrollment.enrollment_id, "information_date": row.information_date,
                          "current_living_situation": row.current_living_situation})
    return row
