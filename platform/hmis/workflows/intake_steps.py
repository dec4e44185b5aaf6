"""What the intake steps need beyond the generic engine: projects to choose from, each
member's relationship to the head of household, and a new client created from a search.

* A ``choose_project`` step lists the projects the actor may enroll into (their
  organizations' projects; every project for a full-access role), narrowed by the step's
  ``project_types``, each with its HUD Inventory rows and the beds available tonight.
* A step collecting ``member_relationships`` keeps one 3.15.1 code per member, aligned
  with ``member_ids``, with exactly one head of household, who is moved to the front.
* A ``client_search`` or ``household`` step may create a client: through the published
  client-profile form(s) and :func:`hmis.records.profile.create_from_page`, exactly as the
  records room's new-client screen does (see ``views.new_client``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select

from ..access import policy
from ..access.operations import Actor
from ..extensions import db
from ..hud import codelists
from ..models import Client, Enrollment, Exit, Inventory, Organization, Project
from .definition import Step, Workflow

RELATIONSHIP_LIST = "3.15.1"
HEAD_OF_HOUSEHOLD = 1
DATA_NOT_COLLECTED = 99


class StepInputRefused(ValueError):
    """The values of an intake step do not fit; ``str(exc)`` says where and why."""


# -- choose a project (or see its units) ---------------------------------------------------

@dataclass
class ProjectChoice:
    """A project the actor may enroll into, with its inventory as of ``night``."""

    project: Project
    inventory: list[Inventory] = field(default_factory=list)
    open_enrollments: int = 0

    @property
    def beds(self) -> int | None:
        """Beds in the inventory rows; ``None`` when the project has no inventory."""
        return sum(row.bed_inventory or 0 for row in self.inventory) if self.inventory else None

    @property
    def units(self) -> int | None:
        return sum(row.unit_inventory or 0 for row in self.inventory) if self.inventory else None

    @property
    def available(self) -> int | None:
        """Beds available tonight: inventory beds minus the project's open enrollments."""
        return None if self.beds is None else self.beds - self.open_enrollments

    @property
    def name(self) -> str:
        return self.project.project_name or self.project.project_id


def step_project_types(workflow: Workflow, step: Step) -> tuple[str, ...]:
    """The project types a step offers: its own ``project_types``, else the workflow's."""
    return step.project_types or workflow.project_types


def _type_fits(project: Project, wanted: tuple[str, ...]) -> bool:
    if not wanted:
        return True
    from .project_types import type_keys_of

    return bool((type_keys_of(project) | {str(project.project_type)}) & set(wanted))


def _actors_projects(actor: Actor):
    """Live projects the actor may enroll into: their organizations', or all for full access."""
    statement = select(Project).where(Project.date_deleted.is_(None))
    if not (actor.is_system or policy.has_full_access(actor)):
        statement = statement.join(Organization, and_(Organization.data_source_id == Project.data_source_id,
                                                      Organization.organization_id == Project.organization_id)
                                   ).where(Organization.id.in_(actor.organization_ids or {-1}))
    return statement.order_by(Project.project_name, Project.id)


def project_choices(actor: Actor, project_types: tuple[str, ...] = (), night: date | None = None,
                    limit: int = 500) -> list[ProjectChoice]:
    """The projects a ``choose_project`` step offers, each with its inventory on ``night``."""
    night = night or date.today()
    projects = [p for p in db.session.scalars(_actors_projects(actor).limit(limit)) if _type_fits(p, project_types)]
    if not projects:
        return []
    choices = {(p.data_source_id, p.project_id): ProjectChoice(p) for p in projects}
    sources = {p.data_source_id for p in projects}
    keys = [p.project_id for p in projects]
    for row in db.session.scalars(select(Inventory).where(
            Inventory.data_source_id.in_(sources), Inventory.project_id.in_(keys), Inventory.date_deleted.is_(None),
            or_(Inventory.inventory_start_date.is_(None), Inventory.inventory_start_date <= night),
            or_(Inventory.inventory_end_date.is_(None), Inventory.inventory_end_date >= night))
            .order_by(Inventory.id)):
        if (row.data_source_id, row.project_id) in choices:
            choices[(row.data_source_id, row.project_id)].inventory.append(row)
    # Open tonight: entered on or before the night, not exited by it (the exit night is not a bed night).
    exited = select(Exit.id).where(Exit.data_source_id == Enrollment.data_source_id,
                                   Exit.enrollment_id == Enrollment.enrollment_id, Exit.date_deleted.is_(None),
                                   Exit.exit_date <= night)
    counts = db.session.execute(
        select(Enrollment.data_source_id, Enrollment.project_id, func.count())
        .where(Enrollment.data_source_id.in_(sources), Enrollment.project_id.in_(keys),
               Enrollment.date_deleted.is_(None), Enrollment.entry_date <= night, ~exited.exists())
        .group_by(Enrollment.data_source_id, Enrollment.project_id))
    for source, key, count in counts:
        if (source, key) in choices:
            choices[(source, key)].open_enrollments = count
    return list(choices.values())


def check_project_choice(actor: Actor, workflow: Workflow, step: Step, project_id: Any) -> Project:
    """The chosen project, if the step offers it to ``actor``; else a refusal saying why."""
    if project_id is None:
        raise StepInputRefused(f"choose a project at step '{step.title}'")
    if isinstance(project_id, float) or not str(project_id).lstrip("-").isdigit():
        raise StepInputRefused(f"'{project_id}' is not a project (step '{step.title}')")
    project = db.session.get(Project, int(project_id))
    if project is None or project.date_deleted is not None:
        raise StepInputRefused(f"there is no project {project_id} (step '{step.title}')")
    name = project.project_name or project.project_id
    mine = db.session.scalar(_actors_projects(actor).where(Project.id == project.id).with_only_columns(Project.id))
    if mine is None:
        raise StepInputRefused(f"'{name}' is run by another agency: at step '{step.title}' you may choose only "
                               "your own agency's projects")
    wanted = step_project_types(workflow, step)
    if not _type_fits(project, wanted):
        raise StepInputRefused(f"'{name}' is not of the project types step '{step.title}' asks for "
                               f"({', '.join(wanted)})")
    return project


# -- each member's relationship to the head of household -----------------------------------

def relationship_options() -> list[tuple[int, str]]:
    """HUD's 3.15.1 codes a person may choose (not 'data not collected': a household needs an answer)."""
    codes = codelists.get(RELATIONSHIP_LIST)
    return [(code, label) for code, label in codes.codes.items()
            if code in codes.current and code != DATA_NOT_COLLECTED]


def _names(member_ids: list[int]) -> dict[int, str]:
    rows = db.session.execute(select(Client.id, Client.first_name, Client.last_name)
                              .where(Client.id.in_(member_ids))).all()
    return {row.id: " ".join(p for p in (row.first_name, row.last_name) if p) or f"client {row.id}" for row in rows}


def arrange_household(member_ids: list[int], relationships: list[int | None] | None,
                      step_title: str) -> tuple[list[int], list[int]]:
    """Members and their relationships, aligned, the one head of household first.

    ``relationships`` holds one 3.15.1 code per member. For callers of the engine that
    predate the per-member choice, one code per *other* member (the first member being
    the head) is still accepted, as is nothing at all for a household of one.
    :raise StepInputRefused: a member without a relationship, a code not in 3.15.1, no
        head of household or more than one; the message names the people.
    """
    relationships = list(relationships or [])
    if not relationships and len(member_ids) == 1:
        relationships = [HEAD_OF_HOUSEHOLD]
    elif len(relationships) == len(member_ids) - 1 and HEAD_OF_HOUSEHOLD not in relationships:
        relationships = [HEAD_OF_HOUSEHOLD, *relationships]
    if len(relationships) != len(member_ids):
        raise StepInputRefused(f"step '{step_title}': say how each of the {len(member_ids)} members is related "
                               f"to the head of household ({len(relationships)} relationships were given)")
    names = _names(member_ids)
    allowed = dict(relationship_options())
    for member, code in zip(member_ids, relationships):
        if code is None or code == DATA_NOT_COLLECTED:
            raise StepInputRefused(f"step '{step_title}': choose how {names.get(member, member)} is related "
                                   "to the head of household")
        if code not in allowed:
            raise StepInputRefused(f"step '{step_title}': {code} is not a relationship to the head of household "
                                   f"for {names.get(member, member)} (HUD 3.15.1: "
                                   f"{', '.join(f'{c} {label}' for c, label in allowed.items())})")
    heads = [member for member, code in zip(member_ids, relationships) if code == HEAD_OF_HOUSEHOLD]
    if not heads:
        raise StepInputRefused(f"step '{step_title}': choose one member as the head of household "
                               f"('{allowed[HEAD_OF_HOUSEHOLD]}')")
    if len(heads) > 1:
        raise StepInputRefused(f"step '{step_title}': a household has exactly one head of household, but "
                               f"{' and '.join(names.get(h, str(h)) for h in heads)} are each marked "
                               f"'{allowed[HEAD_OF_HOUSEHOLD]}'")
    pairs = sorted(zip(member_ids, relationships), key=lambda pair: pair[1] != HEAD_OF_HOUSEHOLD)
    return [m for m, _ in pairs], [int(c) for _, c in pairs]
