"""Night-by-night shelter check-in: the roster for one night and the bulk bed-night write.

A shelter checks in a whole night's guests at once, so :func:`check_in` writes every
bed night (HUD Services, RecordType 200, TypeProvided 200) in ONE ``INSERT`` after
checking the whole batch: an enrollment that is not in this project, not open that
night (before its entry date, or on/after its exit date: HUD counts the nights before
the exit date), or already checked in that night refuses the batch, naming each one,
and nothing is written. Two staff checking in the same shelter at once are serialized
by a lock on the project's row, so the duplicate check cannot be raced past.

Bed nights are written in their enrollment's data source (HUD keys are scoped by
source; the Services row must sit beside its Enrollment), which for everything entered
in this HMIS is ``local``; keys come from :func:`hmis.records.ids.new_key`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, insert, or_, select, update

from ..access import audit
from ..access.operations import Actor, operation
from ..extensions import db
from ..models import Client, Enrollment, Exit, Inventory, Project, Services
from ..models.core import utcnow
from ..records.ids import new_key

BED_NIGHT = 200  #: RecordType 1.4 "Bed night"; its TypeProvided (4.14) is also 200


class CheckInRefused(Exception):
    """The batch was refused; ``problems`` names each enrollment and why. Nothing was written."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        super().__init__(f"Nobody was checked in: {shown}")


@dataclass(frozen=True)
class CheckInResult:
    night: date
    created: int
    beds: int | None  #: beds in the project's inventory that night (None: no inventory recorded)
    occupied: int  #: bed nights recorded for that night, this batch included


@dataclass(frozen=True)
class RosterRow:
    enrollment_id: int
    personal_id: str
    name: str
    entry_date: date | None
    household_id: str | None
    checked_in: bool


def _open_on(night: date):
    """Enrollment open on ``night``: started on or before it, not exited on or before it."""
    return and_(Enrollment.entry_date <= night, or_(Exit.exit_date.is_(None), Exit.exit_date > night),
                Enrollment.date_deleted.is_(None))


def _exit_join():
    return and_(Exit.data_source_id == Enrollment.data_source_id, Exit.enrollment_id == Enrollment.enrollment_id,
                Exit.date_deleted.is_(None))


def _bed_night_join(night: date):
    return and_(Services.data_source_id == Enrollment.data_source_id,
                Services.enrollment_id == Enrollment.enrollment_id, Services.record_type == BED_NIGHT,
                Services.date_provided == night, Services.date_deleted.is_(None))


def beds(project: Project, night: date) -> int | None:
    """Beds in the project's HUD Inventory rows active on ``night``."""
    return db.session.scalar(
        select(func.sum(Inventory.bed_inventory)).where(
            Inventory.data_source_id == project.data_source_id, Inventory.project_id == project.project_id,
            Inventory.date_deleted.is_(None),
            or_(Inventory.inventory_start_date.is_(None), Inventory.inventory_start_date <= night),
            or_(Inventory.inventory_end_date.is_(None), Inventory.inventory_end_date >= night)))


def occupied(project: Project, night: date) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Services).join(
            Enrollment, and_(Enrollment.data_source_id == Services.data_source_id,
                             Enrollment.enrollment_id == Services.enrollment_id))
        .where(Enrollment.data_source_id == project.data_source_id, Enrollment.project_id == project.project_id,
               Services.record_type == BED_NIGHT, Services.date_provided == night,
               Services.date_deleted.is_(None))) or 0


@operation("services.roster", permission="enrollments.view")
def roster(actor: Actor, project_id: int, night: date) -> list[RosterRow]:
    """Everyone enrolled in the project on ``night``, each with whether they are checked in."""
    project = _project(actor, project_id)
    rows = db.session.execute(
        select(Enrollment.id, Enrollment.personal_id, Client.first_name, Client.last_name, Enrollment.entry_date,
               Enrollment.household_id, Services.id)
        .join(Client, and_(Client.data_source_id == Enrollment.data_source_id,
                           Client.personal_id == Enrollment.personal_id))
        .outerjoin(Exit, _exit_join())
        .outerjoin(Services, _bed_night_join(night))
        .where(Enrollment.data_source_id == project.data_source_id, Enrollment.project_id == project.project_id,
               _open_on(night))
        .order_by(Client.last_name, Client.first_name, Enrollment.id)).all()
    seen: dict[int, RosterRow] = {}
    for enrollment_id, personal_id, first, last, entry, household, service_id in rows:
        if enrollment_id not in seen or service_id is not None:
            name = " ".join(part for part in (first, last) if part) or f"Client {personal_id}"
            seen[enrollment_id] = RosterRow(enrollment_id, personal_id, name, entry, household,
                                            service_id is not None)
    return list(seen.values())


def _project(actor: Actor, project_id: int) -> Project:
    """The project, if the actor's agency runs it (or the actor's role sees every agency)."""
    from ..records.visibility import require_project

    project = db.session.get(Project, project_id) if project_id else None
    if project is None:
        raise CheckInRefused([f"there is no project {project_id}"])
    require_project(actor, project)
    return project


def _lock_project(project: Project) -> None:
    # PostgreSQL: a row lock; SQLite: a no-op write takes its database-wide write lock
    # before we read, so the duplicate check below sees any check-in committed meanwhile.
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(update(Project).where(Project.id == project.id).values(id=Project.id)
                           .execution_options(synchronize_session=False))
    else:
        db.session.execute(select(Project.id).where(Project.id == project.id).with_for_update())


@operation("services.check_in", permission="services.edit")
def check_in(actor: Actor, project_id: int, night: date, enrollment_ids: list[int]) -> CheckInResult:
    """Record a bed night on ``night`` for each enrollment, all in one statement, or none.

    :raise CheckInRefused: with every problem (unknown, other project, not open that night,
        already checked in, listed twice); nothing is written.
    """
    project = _project(actor, project_id)
    if not enrollment_ids:
        raise CheckInRefused(["choose at least one person to check in"])
    if night > date.today():
        raise CheckInRefused([f"{night.isoformat()} is in the future; bed nights are recorded for nights that "
                              "have begun"])
    _lock_project(project)
    problems: list[str] = []
    wanted = [int(i) for i in enrollment_ids]
    twice = sorted({i for i in wanted if wanted.count(i) > 1}) if len(set(wanted)) != len(wanted) else []
    problems += [f"enrollment {i} is listed twice" for i in twice]
    wanted = list(dict.fromkeys(wanted))

    rows = db.session.execute(
        select(Enrollment.id, Enrollment.data_source_id, Enrollment.enrollment_id, Enrollment.personal_id,
               Enrollment.project_id, Enrollment.entry_date, Exit.exit_date, Services.id)
        .outerjoin(Exit, _exit_join())
        .outerjoin(Services, _bed_night_join(night))
        .where(Enrollment.id.in_(wanted), Enrollment.date_deleted.is_(None))).all()
    found = {row[0]: row for row in rows}
    problems += [f"enrollment {i} does not exist" for i in wanted if i not in found]
    to_write = []
    for enrollment_pk in wanted:
        row = found.get(enrollment_pk)
        if row is None:
            continue
        _pk, source_id, enrollment_key, personal_id, in_project, entry, exit_date, existing = row
        who = f"client {personal_id} (enrollment {enrollment_pk})"
        if (source_id, in_project) != (project.data_source_id, project.project_id):
            problems.append(f"{who} is not enrolled in this project")
        elif entry is None or entry > night:
            problems.append(f"{who} had not started on {night.isoformat()}")
        elif exit_date is not None and exit_date <= night:
            problems.append(f"{who} had exited on {exit_date.isoformat()}")
        elif existing is not None:
            problems.append(f"{who} is already checked in for {night.isoformat()}")
        else:
            to_write.append((source_id, enrollment_key, personal_id))
    if problems:
        raise CheckInRefused(problems)

    now, user = utcnow(), str(actor.account_id) if actor.account_id is not None else None
    db.session.execute(insert(Services).values([
        {"data_source_id": source_id, "services_id": new_key(), "enrollment_id": enrollment_key,
         "personal_id": personal_id, "date_provided": night, "record_type": BED_NIGHT, "type_provided": BED_NIGHT,
         "date_created": now, "date_updated": now, "user_id": user}
        for source_id, enrollment_key, personal_id in to_write]))
    audit.record("services.check_in", subject_type="project", subject_id=project.id,
                 details={"night": night.isoformat(), "count": len(to_write)})
    db.session.flush()
    return CheckInResult(night, len(to_write), beds(project, night), occupied(project, night))
