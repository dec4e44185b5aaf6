"""One assessment (intake, update, annual, exit) for a whole household on one page.

Each member gets the forms the form rules apply to them (``hmis.forms.applicable``),
rendered by the forms engine with a prefix per member and form, so one POST carries
everyone's answers. "Save draft" keeps unfinished work; "Submit" writes the HUD records.
Every member's forms are saved in one transaction: an error in one (shown at its item)
or someone else's save in between writes nothing for anyone.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import forms
from ..forms.read import answers_from_json
from ..forms.rules import load_rules
from ..access.operations import PermissionDenied
from ..extensions import db
from ..models import Client, Enrollment, Exit, Project
from ..models.forms import FormResponse
from ..web.auth import current_actor
from . import submissions
from .households import household_of


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


def _members_for(enrollment: Enrollment, stage: str) -> list[Enrollment]:
    """Who fills this stage: everyone still enrolled (an exit assessment: everyone)."""
    members = household_of(enrollment)
    if stage == "exit":
        return members
    exited = set(db.session.scalars(select(Exit.enrollment_id).where(
        Exit.data_source_id == enrollment.data_source_id, Exit.date_deleted.is_(None),
        Exit.enrollment_id.in_([e.enrollment_id for e in members]))))
    return [e for e in members if e.enrollment_id not in exited]


def _existing(members: list[Enrollment], stage: str) -> dict[tuple[int, str], FormResponse]:
    """The latest saved response of each member and form at this stage (one query for the page)."""
    found: dict[tuple[int, str], FormResponse] = {}
    for response in db.session.scalars(select(FormResponse).where(
            FormResponse.enrollment_id.in_([e.id for e in members]), FormResponse.stage == stage)
            .order_by(FormResponse.id)):
        found[(response.enrollment_id, response.form_key)] = response
    return found


def build(enrollment: Enrollment, stage: str) -> list[MemberForm]:
    """The forms on the page, each with its saved draft (or submission) when there is one."""
    project = db.session.scalar(select(Project).where(Project.data_source_id == enrollment.data_source_id,
                                                      Project.project_id == enrollment.project_id))
    page: list[MemberForm] = []
    loaded: dict[str, Any] = {}  # each form compiled once per page, however many members fill it
    opened: dict[tuple, Any] = {}  # the same for the versions saved responses were entered with
    members = _members_for(enrollment, stage)
    saved = _existing(members, stage)
    rules = load_rules()  # once per page, not once per member
    # Every member's facts in a few queries for the page, not four per member.
    contexts = forms.contexts_for(members, stage, project=project)
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


def handle(enrollment: Enrollment, stage: str, title: str):
    try:
        page = build(enrollment, stage)
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
    for item in page:
        posted_revision = request.form.get(f"{item.prefix}revision", type=int)
        try:
            saved = forms.responses.save_response(
                actor, item.form, item.context, request.form, submit=submit, prefix=item.prefix,
                response_id=item.response.id if item.response is not None else None,
                expected_revision=posted_revision)
            item.response = saved
        except forms.responses.FormInvalid as exc:
            failed = True
            item.errors, item.warnings = exc.submission.errors, exc.submission.warnings
        except (forms.responses.ConcurrentEditError, forms.responses.AlreadySubmitted, PermissionDenied) as exc:
            failed = True
            item.problem = str(exc)
    if failed:
        # The page is shown again: what was typed (errors or not), as the engine reads it,
        # before the rollback (as the saves left the records). Only now: a saved page
        # redirects, and reading every form a second time is a good part of a POST's cost.
        for item in page:
            item.values = forms.read(item.form, request.form, item.context, prefix=item.prefix).answers
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
