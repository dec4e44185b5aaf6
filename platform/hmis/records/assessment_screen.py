"""One assessment (intake, update, annual, exit) for a whole household on one page.

Each member gets the forms the form rules apply to them (``hmis.forms.applicable``),
rendered by the forms engine with a prefix per member and form, so one POST carries
everyone's answers. "Save draft" keeps unfinished work; "Submit" writes the HUD records.
Every member's forms are saved in one transaction: an error in one (shown at its item)
or someone else's save in between writes nothing for anyone.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import and_, bindparam, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, load_only

from .. import forms
from ..db import built_once
from ..forms.context import funder_columns, funder_rows_of
from ..forms.read import answers_from_json
from ..forms.rules import load_rules
from ..forms.sharing import with_visible_column
from ..access import audit
from ..access.operations import Actor, PermissionDenied
from ..extensions import db
from ..models import Client, Enrollment, Exit, Funder, Organization, Project
from ..models.forms import FormResponse
from ..web.auth import current_actor
from ..workflows.due import Window, anniversary
from . import submissions
from .households import HEAD_OF_HOUSEHOLD, household_of


@dataclass
class MemberForm:
    """One member's one form on the page, with what to show in it."""

    enrollment: Enrollment
    client: Client
    form: Any
    context: Any
    prefix: str
    response: FormResponse | None = None
    values: dict[str, Any] | None = None
    errors: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)
    problem: str | None = None

    def html(self):
        return forms.render(self.form, self.context, values=self.values, errors=self.errors,
                            warnings=self.warnings, prefix=self.prefix)


#: Item types whose typed text can be shown again as it was typed.
_TYPED_AGAIN = ("text", "textarea", "open_choice", "integer", "decimal", "currency", "date")


def keep_typed(form: Any, formdata: Any, prefix: str, values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """``values`` with what was typed into each refused item put back, so a page shown
    again with a message at an item still shows the answer the message is about (the
    reader leaves a refused answer out)."""
    from ..forms.compile import COMPOSITE_COLUMNS
    from ..forms.read import field_name

    kept = dict(values)
    for item_id in errors:
        item = form.by_id.get(item_id)
        if item is None or kept.get(item_id) is not None:
            continue
        if item.type in COMPOSITE_COLUMNS:
            parts = {part: (formdata.get(field_name(prefix, item.id, part)) or "")[:200]
                     for part in COMPOSITE_COLUMNS[item.type]}
            quality = parts.get("quality", "")
            parts["quality"] = int(quality) if quality.isdigit() else None  # compared with the codes
            kept[item_id] = parts
        elif item.type in _TYPED_AGAIN:
            kept[item_id] = (formdata.get(field_name(prefix, item.id)) or "")[:item.max_length]
    return kept


@dataclass(frozen=True)
class PageAccess:
    """What the page's query read of ``actor``'s right to change each member's data, for
    ``forms.sharing.check_writable``: trusted in the transaction that read it only."""

    actor: Actor
    transaction: Any
    visible: set[int]
    owners: dict[tuple[int, str], int | None]


class Page(list):
    """The page's :class:`MemberForm` items, with the :class:`PageAccess` its query read."""

    access: PageAccess | None = None


@dataclass
class Household:
    """What the page's one query read: the enrollment asked for, the project, who fills
    this stage, their clients, the project's funder rows and the sharing facts."""

    enrollment: Enrollment
    project: Project | None
    members: list[Enrollment]
    clients: dict[str, Client]
    funder_rows: list
    access: PageAccess


#: The enrollment the page is asked for, beside its household's rows. Made once: building
#: expressions on a new alias costs more CPU (its attributes are set up on first use) than the query.
_ASKED = aliased(Enrollment, name="asked")


#: The columns showing the page (the GET) reads of each member's enrollment and client and
#: of the project (the form rules read its id and type); a save writes into the enrollments,
#: so it reads them whole. Fewer columns matter: the driver describes every column of every
#: statement, which cost more CPU than reading the rows.
_SHOWN_ENROLLMENT = (Enrollment.id, Enrollment.data_source_id, Enrollment.enrollment_id, Enrollment.personal_id,
                     Enrollment.project_id, Enrollment.household_id, Enrollment.entry_date,
                     Enrollment.relationship_to_hoh)
_SHOWN_CLIENT = (Client.id, Client.data_source_id, Client.personal_id, Client.first_name, Client.last_name,
                 Client.dob, Client.veteran_status)
_SHOWN_PROJECT = (Project.id, Project.data_source_id, Project.project_id, Project.organization_id, Project.project_type)


@built_once
def _household_statement(shown_only: bool = False):
    """:func:`_household_page`'s query but for the actor's visibility column, built once
    (building it is a good part of the page's SQL cost); ``:enrollment_id`` is the
    enrollment asked for. ``shown_only``: only the ``_SHOWN_*`` columns (any other is
    loaded when first used)."""
    asked = _ASKED
    exited = exists(select(Exit.id).where(Exit.data_source_id == Enrollment.data_source_id,
                                          Exit.enrollment_id == Enrollment.enrollment_id,
                                          Exit.date_deleted.is_(None)).correlate(Enrollment))
    funders, funders_joined = funder_columns()
    statement = (
        select(Enrollment, Client, Project, exited.label("exited"), Organization.id.label("organization_id"), *funders)
        .join(asked, and_(asked.data_source_id == Enrollment.data_source_id, asked.project_id == Enrollment.project_id,
                          or_(asked.household_id == Enrollment.household_id,  # as household_of: IS NULL
                              and_(asked.household_id.is_(None), Enrollment.household_id.is_(None)))))
        .outerjoin(Client, and_(Client.data_source_id == Enrollment.data_source_id,
                                Client.personal_id == Enrollment.personal_id))
        .outerjoin(Project, and_(Project.data_source_id == Enrollment.data_source_id,
                                 Project.project_id == Enrollment.project_id))
        .outerjoin(Organization, and_(Organization.data_source_id == Project.data_source_id,
                                      Organization.organization_id == Project.organization_id))
        .outerjoin(Funder, funders_joined)
        .where(asked.id == bindparam("enrollment_id"), asked.date_deleted.is_(None),
               Enrollment.date_deleted.is_(None)))
    if shown_only:
        statement = statement.options(load_only(*_SHOWN_ENROLLMENT), load_only(*_SHOWN_CLIENT),
                                      load_only(*_SHOWN_PROJECT))
    return statement


def _household_page(enrollment_id: int, stage: str, actor: Actor, *, shown_only: bool = False) -> Household | None:
    """The household of enrollment ``enrollment_id`` as the page needs it, in one query (a
    row per member and funder row), or None when there is no such enrollment (or it is
    deleted) or ``actor`` may not see it. Who fills this stage: everyone still enrolled (an
    exit assessment: everyone), head of household first, as ``household_of``. The query
    also reads what the sharing policy's write check needs: which members ``actor`` may
    see and the project's agency. ``shown_only``: see :func:`_household_statement`."""
    # The visibility condition is the actor's; the rest of the statement is built once.
    rows = db.session.execute(with_visible_column(_household_statement(shown_only), actor),
                              {"enrollment_id": enrollment_id}).all()
    funder_rows = funder_rows_of(rows)
    rows = list({row[0].id: row for row in rows}.values())  # one per member
    mine = next((row for row in rows if row[0].id == enrollment_id), None)
    if mine is None or not mine.visible:
        return None
    rows.sort(key=lambda row: (row[0].relationship_to_hoh != HEAD_OF_HOUSEHOLD, row[0].entry_date or date.min,
                               row[0].id))
    access = PageAccess(actor, db.session().get_transaction(), {row[0].id for row in rows if row.visible},
                        {(row[0].data_source_id, row[0].project_id): row.organization_id for row in rows})
    return Household(enrollment=mine[0], project=mine[2],
                     members=[row[0] for row in rows if stage == "exit" or not row.exited],
                     clients={row[1].personal_id: row[1] for row in rows if row[1] is not None},
                     funder_rows=funder_rows, access=access)


@built_once
def _responses_statement():
    """:func:`_responses`' query, built once (and its SQL cache key worked out once)."""
    return (select(FormResponse)
            .where(FormResponse.enrollment_id.in_(bindparam("ids", expanding=True)),
                   or_(FormResponse.stage == bindparam("stage"), FormResponse.status == "submitted"))
            .order_by(FormResponse.id))


def _responses(members: list[Enrollment], stage: str) -> tuple[dict[tuple[int, str], FormResponse],
                                                                   dict[int, dict[str, Any]]]:
    """In one query: the latest saved response of each member and form at this stage, and
    each member's newest submitted answers (prefill's source, as ``forms.context``
    ``previous_answers`` picks them: newest submission, then highest id)."""
    found: dict[tuple[int, str], FormResponse] = {}
    previous: dict[int, tuple[Any, int, dict[str, Any]]] = {}
    for response in db.session.scalars(_responses_statement(), {"ids": [e.id for e in members], "stage": stage}):
        if response.stage == stage:
            found[(response.enrollment_id, response.form_key)] = response
        if response.status == "submitted":  # every submission has its time; none would rank last
            rank = (response.submitted_dt or datetime.min, response.id)
            kept = previous.get(response.enrollment_id)
            if kept is None or rank > kept[:2]:
                previous[response.enrollment_id] = (*rank, response.answers or {})
    return found, {enrollment_id: kept[2] for enrollment_id, kept in previous.items()}


def annual_window(enrollment: Enrollment, today: date) -> Window | None:
    """The annual assessment window open on ``today`` for ``enrollment``'s household, if any.

    HUD: within 30 days of each anniversary of the head of household's project start
    (``hmis.workflows.due`` keeps the rule; the due list uses the same one).
    """
    members = household_of(enrollment)
    head = next((e for e in members if e.relationship_to_hoh == 1), enrollment)
    start = head.entry_date or enrollment.entry_date
    if start is None:
        return None
    years = 1
    while True:
        window = Window.around(anniversary(start, years))
        if window.holds(today):
            return window
        if window.start > today:
            return None
        years += 1


def build(enrollment: Enrollment, stage: str, household: Household | None = None) -> Page:
    """The forms on the page, each with its saved draft (or submission) when there is one.
    ``household``: what :func:`_household_page` read for it, if the caller has it."""
    if household is None:
        household = _household_page(enrollment.id, stage, current_actor())
        if household is None:
            abort(404)
    project, members, clients = household.project, household.members, household.clients
    page = Page()
    page.access = household.access
    loaded: dict[str, Any] = {}  # each form compiled once per page, however many members fill it
    opened: dict[tuple, Any] = {}  # the same for the versions saved responses were entered with
    saved, previous = _responses(members, stage)
    rules = load_rules()  # once per page, not once per member
    # An intake is about the project start; an update or annual assessment about the day
    # it is recorded (the exit form's own exit date replaces it when it is written).
    information_date = None if stage == "project_start" else date.today()
    # Every member's facts in a few queries for the page, not four per member.
    contexts = forms.contexts_for(members, stage, project=project, information_date=information_date,
                                  clients=clients, previous=previous, funder_rows=household.funder_rows)
    for member, context in zip(members, contexts):
        for applicable in forms.applicable(project, stage, funders=context.funders, rules=rules):
            response = saved.get((member.id, applicable.form))
            if response is not None:
                # What open_response does, with each form version loaded once per page.
                entered_with = (response.definition_version_id, tuple(sorted((response.fragment_versions or {}).items())))
                if entered_with not in opened:
                    opened[entered_with] = forms.load_version(response.definition_version_id,
                                                              response.fragment_versions)
                form = opened[entered_with]
                values = answers_from_json(form, response.answers)
            else:
                if applicable.form not in loaded:
                    loaded[applicable.form] = forms.load(applicable.form)
                form, values = loaded[applicable.form], None
            page.append(MemberForm(member, context.client, form, context, f"m{member.id}-{form.key}-",
                                   response=response, values=values))
    return page


def handle(enrollment_id: int, stage: str, title: str):
    """The page for enrollment ``enrollment_id``'s household (404 when the actor may not see it)."""
    household = _household_page(enrollment_id, stage, current_actor(), shown_only=request.method == "GET")
    if household is None:
        abort(404)
    enrollment = household.enrollment
    if stage == "annual" and annual_window(enrollment, date.today()) is None:
        return render_template("error.html", title="Annual assessment not open",
                               message=_outside_window(enrollment)), 409
    try:
        page = build(enrollment, stage, household)
    except forms.FormNotPublished as exc:
        return render_template("error.html", title="Form not available",
                               message=f"{exc} Ask your HMIS lead to publish it."), 409
    token = request.form.get("token") or submissions.new_token()
    if request.method == "POST":
        earlier = submissions.already_submitted(token)
        if earlier is not None:  # a double click or a resend after the back button
            flash("That form was already sent; here is what it saved.", "info")
            return redirect(earlier.result_url, code=303)
        result = url_for("records.household", id=enrollment.id)
        failed = _save(page, submit=request.form.get("action") == "submit", token=token, result_url=result)
        if not failed:
            done = "submitted" if request.form.get("action") == "submit" else "saved as a draft"
            flash(f"{title} {done}.", "success")
            return redirect(result, code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("records/assessment.html", enrollment=enrollment, stage=stage, title=title,
                           page=page, token=token), status


def _outside_window(enrollment: Enrollment) -> str:
    """Why the annual assessment cannot be recorded today, with the next window's dates."""
    head = next((e for e in household_of(enrollment) if e.relationship_to_hoh == 1), enrollment)
    start, today = head.entry_date or enrollment.entry_date, date.today()
    if start is None:
        return "This household has no project start date, so it has no annual assessment window."
    years = 1
    while Window.around(anniversary(start, years)).end < today:
        years += 1
    upcoming = Window.around(anniversary(start, years))
    return (f"The annual assessment is recorded within 30 days of the anniversary of the head of household's "
            f"project start ({start.isoformat()}). The next window is {upcoming.start.isoformat()} to "
            f"{upcoming.end.isoformat()}; use Update for changes before then.")


def _save(page: list[MemberForm], *, submit: bool, token: str, result_url: str) -> bool:
    """Save every form on the page, or none. True when something failed (messages set)."""
    actor = current_actor()
    failed = False
    # Claiming the page's token first also opens the write transaction before the forms
    # engine's savepoints: with SQLite's driver, a savepoint opened outside a transaction
    # commits on release, which would keep one member's form when another's fails.
    try:
        submissions.claim(token, actor.account_id, result_url)
    except IntegrityError:
        db.session.rollback()
        flash("That form was already sent.", "info")
        return True
    originals = [item.response for item in page]
    # The page's new forms, as the database's unique index knows them: read now, for
    # naming a lost race after the rollback (which leaves the rows unreadable till reloaded).
    new_forms = {(item.context.enrollment.id, item.form.key, item.context.stage): item for item in page
                 if item.response is None and item.context.enrollment is not None}
    # What the page's query read of the sharing policy, if it is still this transaction's.
    access = getattr(page, "access", None)
    known = {}
    if access is not None and access.actor is actor and access.transaction is db.session().get_transaction():
        known = {"visible": access.visible, "owners": access.owners}
    try:  # the sharing policy for every member at once; one refused is named by its own save below
        forms.sharing.check_writable(actor, [item.context for item in page], **known)
    except PermissionDenied:
        pass
    # Someone else's intake started since the page was shown: one query for the page.
    started = forms.responses.check_once([(item.form, item.context) for item in page if item.response is None])
    # The members' audit events go in together at the end (one INSERT); a refused page's
    # are rolled back with the rest below.
    with audit.batched():
        for item in page:
            posted_revision = request.form.get(f"{item.prefix}revision", type=int)
            try:
                if item.response is None and (item.context.enrollment.id, item.form.key) in started:
                    raise started[(item.context.enrollment.id, item.form.key)]
                # No savepoint per member: any failure rolls back the whole page below.
                saved = forms.responses.save_response(
                    actor, item.form, item.context, request.form, submit=submit, prefix=item.prefix,
                    response_id=item.response.id if item.response is not None else None,
                    expected_revision=posted_revision, savepoint=False)
                item.response = saved
            except forms.responses.FormInvalid as exc:
                failed = True
                item.errors, item.warnings = exc.submission.errors, exc.submission.warnings
            except (forms.responses.ConcurrentEditError, forms.responses.AlreadySubmitted, PermissionDenied) as exc:
                failed = True
                item.problem = str(exc)
            except IntegrityError:
                # Another save of the same form won the race past the check above (seen at a
                # query that flushed); the transaction is lost, so the others are not tried.
                _lost_race(page, new_forms)
                failed = True
                break
    if not failed:
        try:  # every member's rows in one flush (the saves above leave them unflushed)
            db.session.flush()
        except IntegrityError:
            _lost_race(page, new_forms)
            failed = True
    if failed:
        # The page is shown again: what was typed (errors or not), as the engine reads it,
        # before the rollback (as the saves left the records). Only now: a saved page
        # redirects, and reading every form a second time is a good part of a POST's cost.
        for item in page:
            again = forms.read(item.form, request.form, item.context, prefix=item.prefix)
            item.values = keep_typed(item.form, request.form, item.prefix, again.answers, item.errors)
        db.session.rollback()
        for item, original in zip(page, originals):
            item.response = original  # what this page showed: its revision is still the one to send
        if any(i.problem for i in page):
            flash("Nothing was saved: see the messages below.", "error")
        else:
            flash("Nothing was saved yet: correct the answers marked below.", "error")
        return True
    db.session.commit()
    return False


_LOST_RACE = ("Someone else saved this form for this enrollment just now. Nothing of yours was saved: reload the "
              "page to see their answers.")


def _lost_race(page: list[MemberForm], new_forms: dict[tuple[int, str, str], MemberForm]) -> None:
    """Roll back a page whose flush the database refused (someone else's intake of one of
    its members won the race past the checks), and say so at the forms they saved: those
    of the page's ``new_forms`` (by enrollment id, form key and stage) that exist now, else
    every new form (theirs may not be visible yet)."""
    db.session.rollback()
    taken = set()
    if new_forms:
        taken = set(db.session.execute(
            select(FormResponse.enrollment_id, FormResponse.form_key, FormResponse.stage)
            .where(FormResponse.enrollment_id.in_(sorted({key[0] for key in new_forms})))).tuples())
    for item in [item for key, item in new_forms.items() if key in taken] or list(new_forms.values()) or page[:1]:
        item.problem = _LOST_RACE
