"""Households and enrollments: enroll a household, add a member, exit.

A household is the set of enrollments sharing one HouseholdID in one project, with
exactly one head of household (RelationshipToHoH 1). Enrollments are written in the
project's data source (HUD keys are scoped by it), so every member must be a client
of that same source. The head of household's EnrollmentCoC comes from the project's
ProjectCoC rows.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy import exists, select

from ..access import audit
from ..access.operations import Actor, operation
from ..extensions import db
from ..models import Client, Enrollment, Exit, Project, ProjectCoC
from .errors import RecordInvalid
from .hud_values import FieldError, clean_code, clean_date
from .ids import new_key
from .stamps import stamp_new
from .visibility import require_client, require_enrollment, require_project

HEAD_OF_HOUSEHOLD = 1
RELATIONSHIP_LIST = "3.15.1"
DESTINATION_LIST = "3.12"
DATA_NOT_COLLECTED = 99


def _live_exit(enrollment_table=Enrollment):
    return exists().where(Exit.data_source_id == enrollment_table.data_source_id,
                          Exit.enrollment_id == enrollment_table.enrollment_id, Exit.date_deleted.is_(None))


def _lock(conditions, model) -> None:
    """Lock these rows until commit, so two people saving at once are served one after the
    other and the second sees the first's enrollment or exit (SQLite serializes writers anyway)."""
    db.session.execute(select(model.id).where(*conditions).with_for_update())


def open_enrollments_in(project: Project, clients: Sequence[Client]) -> list[Enrollment]:
    """The clients' enrollments in ``project`` that have no exit yet."""
    return list(db.session.scalars(select(Enrollment).where(
        Enrollment.data_source_id == project.data_source_id, Enrollment.project_id == project.project_id,
        Enrollment.personal_id.in_([c.personal_id for c in clients]), Enrollment.date_deleted.is_(None),
        ~_live_exit())))


def household_of(enrollment: Enrollment) -> list[Enrollment]:
    """Every live enrollment of ``enrollment``'s household, head first."""
    rows = db.session.scalars(select(Enrollment).where(
        Enrollment.data_source_id == enrollment.data_source_id, Enrollment.project_id == enrollment.project_id,
        Enrollment.household_id == enrollment.household_id, Enrollment.date_deleted.is_(None))).all()
    return sorted(rows, key=lambda e: (e.relationship_to_hoh != HEAD_OF_HOUSEHOLD, e.entry_date or date.min, e.id))


def enrollment_coc_for(project: Project, chosen: str | None = None) -> str | None:
    """The CoC code for a new head of household: the project's only one, or ``chosen`` among several."""
    codes = sorted({c for c in db.session.scalars(select(ProjectCoC.coc_code).where(
        ProjectCoC.data_source_id == project.data_source_id, ProjectCoC.project_id == project.project_id,
        ProjectCoC.date_deleted.is_(None))) if c})
    if chosen:
        if chosen not in codes:
            raise RecordInvalid({"enrollment_coc": f"This project does not operate in CoC {chosen}."})
        return chosen
    if len(codes) > 1:
        raise RecordInvalid({"enrollment_coc": "This project operates in several CoCs: choose the one where "
                                               "the household is served."})
    return codes[0] if codes else None


def _check_entry(project: Project, entry_date) -> date:
    try:
        entry = clean_date(entry_date)
    except FieldError as exc:
        raise RecordInvalid({"entry_date": str(exc)}) from None
    if entry is None:
        raise RecordInvalid({"entry_date": "Enter the project start date."})
    if project.operating_start_date and entry < project.operating_start_date:
        raise RecordInvalid({"entry_date": f"The project started operating on {project.operating_start_date}; "
                                           "the project start date cannot be earlier."})
    if project.operating_end_date and entry > project.operating_end_date:
        raise RecordInvalid({"entry_date": f"The project stopped operating on {project.operating_end_date}."})
    return entry


def _new_enrollment(actor: Actor, project: Project, client: Client, household_id: str, relationship: int,
                    entry: date, enrollment_coc: str | None) -> Enrollment:
    enrollment = Enrollment(
        data_source_id=project.data_source_id, enrollment_id=new_key(), personal_id=client.personal_id,
        project_id=project.project_id, entry_date=entry, household_id=household_id,
        relationship_to_hoh=relationship, enrollment_coc=enrollment_coc if relationship == HEAD_OF_HOUSEHOLD else None,
        # The intake form answers this; until then HUD's "data not collected".
        disabling_condition=DATA_NOT_COLLECTED,
    )
    stamp_new(enrollment, actor)
    db.session.add(enrollment)
    return enrollment


def _check_members(actor: Actor, project: Project, members) -> list[tuple[Client, int]]:
    errors: dict[str, str] = {}
    checked: list[tuple[Client, int]] = []
    seen: set[int] = set()
    for n, (client, relationship) in enumerate(members):
        key = f"member-{n}.relationship_to_hoh"
        require_client(actor, client)
        try:
            code = clean_code(relationship, RELATIONSHIP_LIST)
        except FieldError as exc:
            errors[key] = str(exc)
            continue
        if code is None or code == DATA_NOT_COLLECTED:
            errors[key] = "Choose how this person is related to the head of household."
            continue
        if client.id in seen:
            errors[f"member-{n}.client"] = "This person is already in the household."
        if client.date_deleted is not None:
            errors[f"member-{n}.client"] = "This client record was deleted."
        if client.data_source_id != project.data_source_id:
            errors[f"member-{n}.client"] = ("This client's record comes from another HMIS (data source) than "
                                            "the project's; enroll them in a project of that source, or ask "
                                            "your HMIS lead to link the records.")
        seen.add(client.id)
        checked.append((client, code))
    if errors:
        raise RecordInvalid(errors)
    return checked


@operation("enrollments.enroll_household", permission="enrollments.edit")
def enroll_household(actor: Actor, project: Project, members: Sequence[tuple[Client, int | str]],
                     entry_date: date | str, enrollment_coc: str | None = None) -> list[Enrollment]:
    """Enroll a household in ``project``: one HouseholdID, one head of household, an
    enrollment per member (in the order given), all flushed together or none at all."""
    require_project(actor, project)
    if project.date_deleted is not None:
        raise RecordInvalid("This project was deleted.")
    if not members:
        raise RecordInvalid({"members": "Add at least one person to the household."})
    entry = _check_entry(project, entry_date)
    checked = _check_members(actor, project, members)
    _lock([Client.id.in_([c.id for c, _ in checked])], Client)
    heads = [c for c, rel in checked if rel == HEAD_OF_HOUSEHOLD]
    if len(heads) != 1:
        raise RecordInvalid({"members": "Choose exactly one head of household ('Self')."
                             if heads else "Choose who is the head of household ('Self')."})
    already = open_enrollments_in(project, [c for c, _ in checked])
    if already:
        names = {c.personal_id: c for c, _ in checked}
        who = ", ".join(sorted(" ".join(filter(None, (names[e.personal_id].first_name,
                                                      names[e.personal_id].last_name))) or "a client"
                               for e in already))
        raise RecordInvalid({"members": f"Already enrolled in this project without an exit: {who}."})
    coc = enrollment_coc_for(project, enrollment_coc)
    household_id = new_key()
    enrollments = [_new_enrollment(actor, project, client, household_id, rel, entry, coc) for client, rel in checked]
    db.session.flush()
    for enrollment in enrollments:
        audit.record("record.create", subject_type="enrollment", subject_id=enrollment.id,
                     details={"project": project.project_id, "household_id": household_id,
                              "relationship_to_hoh": enrollment.relationship_to_hoh,
                              "entry_date": enrollment.entry_date})
    return enrollments


@operation("enrollments.add_member", permission="households.edit")
def add_member(actor: Actor, household_member: Enrollment, client: Client, relationship: int | str,
               entry_date: date | str) -> Enrollment:
    """Add ``client`` to the household of ``household_member`` (any enrollment in it)."""
    project = db.session.scalar(select(Project).where(Project.data_source_id == household_member.data_source_id,
                                                      Project.project_id == household_member.project_id))
    require_enrollment(actor, household_member, write=True)
    entry = _check_entry(project, entry_date)
    [(client, code)] = _check_members(actor, project, [(client, relationship)])
    if code == HEAD_OF_HOUSEHOLD:
        raise RecordInvalid({"relationship_to_hoh": "This household already has a head of household."})
    household = household_of(household_member)
    head = next((e for e in household if e.relationship_to_hoh == HEAD_OF_HOUSEHOLD), None)
    if head is not None and head.entry_date and entry < head.entry_date:
        raise RecordInvalid({"entry_date": "A member cannot start before the head of household "
                                           f"({head.entry_date})."})
    if any(e.personal_id == client.personal_id for e in household) or open_enrollments_in(project, [client]):
        raise RecordInvalid({"client": "This person is already enrolled in this project."})
    enrollment = _new_enrollment(actor, project, client, household_member.household_id, code, entry, None)
    db.session.flush()
    audit.record("record.create", subject_type="enrollment", subject_id=enrollment.id,
                 details={"project": project.project_id, "household_id": enrollment.household_id,
                          "relationship_to_hoh": code, "entry_date": entry})
    return enrollment


def exit_of(enrollment: Enrollment) -> Exit | None:
    return db.session.scalar(select(Exit).where(Exit.data_source_id == enrollment.data_source_id,
                                                Exit.enrollment_id == enrollment.enrollment_id,
                                                Exit.date_deleted.is_(None)))


@operation("enrollments.exit_household", permission="enrollments.edit")
def exit_household(actor: Actor, enrollments: Sequence[Enrollment], exit_date: date | str,
                   destinations: Mapping[int, int | str] | None = None) -> list[Exit]:
    """Exit the given enrollments (one Exit row each) on ``exit_date``.

    ``destinations`` maps an enrollment's surrogate id to its 3.12 Destination code;
    one not given is HUD's "data not collected" until the exit form answers it.
    """
    if not enrollments:
        raise RecordInvalid({"members": "Choose at least one person to exit."})
    destinations = destinations or {}
    errors: dict[str, str] = {}
    _lock([Enrollment.id.in_([e.id for e in enrollments])], Enrollment)
    try:
        when = clean_date(exit_date)
    except FieldError as exc:
        raise RecordInvalid({"exit_date": str(exc)}) from None
    if when is None:
        raise RecordInvalid({"exit_date": "Enter the project exit date."})
    codes: dict[int, int] = {}
    for enrollment in enrollments:
        key = f"enrollment-{enrollment.id}"
        require_enrollment(actor, enrollment, write=True)
        if exit_of(enrollment) is not None:
            errors[key] = "This person has already exited this enrollment."
        elif enrollment.entry_date and when < enrollment.entry_date:
            errors["exit_date"] = f"The exit date is before the project start date ({enrollment.entry_date})."
        try:
            codes[enrollment.id] = clean_code(destinations.get(enrollment.id), DESTINATION_LIST) or DATA_NOT_COLLECTED
        except FieldError as exc:
            errors[f"{key}.destination"] = str(exc)
    if errors:
        raise RecordInvalid(errors)
    exits = []
    for enrollment in enrollments:
        row = Exit(data_source_id=enrollment.data_source_id, exit_id=new_key(), enrollment_id=enrollment.enrollment_id,
                   personal_id=enrollment.personal_id, exit_date=when, destination=codes[enrollment.id])
        stamp_new(row, actor)
        db.session.add(row)
        exits.append(row)
    db.session.flush()
    for row in exits:
        audit.record("record.create", subject_type="exit", subject_id=row.id,
                     details={"enrollment_id": row.enrollment_id, "exit_date": row.exit_date,
                              "destination": row.destination})
    return exits
