"""Saving form responses: drafts, submissions, and two people saving the same one.

* A **draft** saves whatever was entered, errors and all (staff are interrupted; losing
  their work is worse than storing it unfinished). Nothing reaches HUD's tables.
* **Submitting** with errors raises :class:`FormInvalid` and writes nothing. Valid
  answers are stored and written to HUD rows by
  :func:`hmis.records.assessments.apply_submission` in the same transaction.
* Every save of an existing response names the ``expected_revision`` the person
  started from; if someone saved in between, :class:`ConcurrentEditError` says who, and
  nothing is overwritten. The revision check is an ``UPDATE ... WHERE revision = n``,
  so it holds across web processes on both databases.
* Submitting the same answers twice (a double click) returns the saved response
  and writes nothing more.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..access import sensitive
from ..access.operations import Actor, operation
from ..db import transaction_memo
from ..extensions import db
from ..models.core import utcnow
from ..models.forms import ONCE_STAGES, FormResponse
from .context import FormContext
from .items import CompiledForm
from .read import Submission, answers_to_json, read
from .sharing import checked_writable

__all__ = ["AlreadySubmitted", "ConcurrentEditError", "FormInvalid", "ResponseNotFound", "at_items", "check_once",
           "open_response", "save_response"]

_ONCE_CHECKED = "forms.once_checked"


class FormInvalid(Exception):
    """Submitted with errors; ``submission`` holds them, for the page to show at their items."""

    def __init__(self, submission: Submission) -> None:
        self.submission = submission
        count = len(submission.errors)
        super().__init__(f"{count} answer{'s' if count != 1 else ''} need{'s' if count == 1 else ''} "
                         "attention before this form can be submitted.")


class ConcurrentEditError(Exception):
    """Someone saved the response after this person opened it. ``str()`` is safe to show."""

    def __init__(self, response: FormResponse, *, started: bool = False) -> None:
        self.response = response
        who = response.updated_by_name or "someone else"
        when = response.updated_dt.strftime("%Y-%m-%d %H:%M UTC") if response.updated_dt else "meanwhile"
        if started:
            message = (f"{who} already saved this form for this enrollment ({when}). Nothing of yours was "
                       "saved: open their form to continue or correct it.")
        else:
            message = (f"{who} saved this form ({when}) after you opened it. Nothing of yours was saved: "
                       "reload it to see their answers, then make your changes again.")
        super().__init__(message)


class ResponseNotFound(LookupError):
    """No such saved response (for this form)."""


class AlreadySubmitted(ValueError):
    """A submitted response cannot become a draft again."""


def _require_visible(actor: Actor, context: FormContext) -> None:
    """The sharing policy: staff write only into enrollments (or profiles) they may change."""
    from ..access import policy

    if context.enrollment is not None:
        if (actor, context.enrollment.id) in checked_writable():  # a page checked its household at once
            return
        policy.require_enrollment(actor, context.enrollment, write=True)
    elif context.client is not None:
        policy.require_client(actor, context.client, "profile")


@operation("assessments.save", permission="assessments.edit")
def save_response(actor: Actor, form: CompiledForm, context: FormContext, formdata: Any, *, submit: bool,
                  prefix: str = "", response_id: int | None = None,
                  expected_revision: int | None = None, savepoint: bool = True) -> FormResponse:
    """Save a draft or submit ``formdata`` for ``context``. Flushes (unless ``savepoint`` is
    False: see below); the caller commits.

    :param savepoint: False for a caller that rolls back its whole transaction when any
        save fails (a household's page, whose members are saved all or none): the saves
        then skip the savepoints (two statements each) that keep one failure from leaving
        rows behind, and leave their rows unflushed where they can (the response row, the
        changed Enrollment fields), so the caller's one flush writes each table's rows for
        every member in one statement. A database error (say, a lost race for the same
        intake) is raised then, or at any query before it; the caller rolls back.

    :raise FormInvalid: ``submit`` with errors (nothing written); ``errors["_form"]`` when the
        answers cannot be written in this context (say, enrollment data and no enrollment).
    :raise ConcurrentEditError: ``expected_revision`` is stale (nothing written).
    :raise ResponseNotFound: no response ``response_id`` (or it is for another form).
    """
    if form.version_id is None:
        raise ValueError("only a stored definition version can be saved against (previews are not saved)")
    _require_visible(actor, context)
    submission = read(form, formdata, context, prefix=prefix)
    if submit and not submission.ok:
        raise FormInvalid(submission)
    # One savepoint around every write: whatever fails part-way (a HUD row that cannot be
    # written, a lost race) leaves nothing behind, even if the caller commits afterwards.
    from ..records.assessments import AssessmentError

    try:
        if not savepoint:
            return _save(actor, form, context, submission, submit=submit, response_id=response_id,
                         expected_revision=expected_revision, savepoint=False)
        with db.session.begin_nested():
            return _save(actor, form, context, submission, submit=submit, response_id=response_id,
                         expected_revision=expected_revision)
    except AssessmentError as error:
        # The answers cannot be written here (e.g. enrollment data with no enrollment, or a
        # client's details that disagree): each message at the item that collects the field,
        # the rest at the top of the form, like any other reason not to submit.
        placed, unplaced = at_items(form, error.fields)
        submission.errors.update(placed)
        if unplaced or not placed:
            submission.errors["_form"] = " ".join(unplaced) if placed else str(error)
        raise FormInvalid(submission) from error


def at_items(form: CompiledForm, fields: dict[tuple[str, str], str]) -> tuple[dict[str, str], list[str]]:
    """``{item id: message}`` for the HUD fields ``(record, column)`` the items of ``form``
    collect, and the messages of fields no item collects."""
    from .compile import COMPOSITE_COLUMNS

    placed: dict[str, str] = {}
    used: set[tuple[str, str]] = set()
    for item in form.all_items:
        targets = []
        if item.type in COMPOSITE_COLUMNS:
            targets = [("Client", column) for column in COMPOSITE_COLUMNS[item.type].values()]
        elif item.hud is not None:
            targets = [(item.hud.record, item.hud.column)]
        elif item.hud_columns:
            targets = [(target.record, target.column) for target in item.hud_columns.values()]
        for target in targets:
            if target in fields:
                used.add(target)
                placed.setdefault(item.id, fields[target])
    return placed, [message for target, message in fields.items() if target not in used]


def _save(actor: Actor, form: CompiledForm, context: FormContext, submission: Submission, *, submit: bool,
          response_id: int | None, expected_revision: int | None, savepoint: bool = True) -> FormResponse:
    answers = answers_to_json(submission.answers if submit else _draft_answers(submission))
    answers = sensitive.mask_answers(form, answers)  # issue 6: a saved answer never holds the SSN itself
    now = utcnow()

    if response_id is None:
        _refuse_second(form, context)
        response = FormResponse(
            form_key=form.key, definition_version_id=form.version_id, fragment_versions=dict(form.fragment_versions),
            client_id=context.client.id if context.client is not None else None,
            enrollment_id=context.enrollment.id if context.enrollment is not None else None,
            stage=context.stage, information_date=context.information_date, answers=answers,
            written={}, revision=1, created_by=actor.account_id, created_dt=now, updated_by=actor.account_id,
            updated_by_name=actor.name or None, updated_dt=now,
            # A submission is inserted as submitted (one INSERT, not an INSERT and an UPDATE);
            # if writing its records fails, the savepoint around this takes the row back too.
            status="submitted" if submit else "draft", submitted_dt=now if submit else None)
        if not savepoint:
            # Not flushed here: the page flushes every member's rows at once (one INSERT for
            # all its responses); a lost race raises IntegrityError there, and it rolls back.
            db.session.add(response)
        else:
            try:
                with db.session.begin_nested():  # a savepoint: losing the race leaves the session usable
                    db.session.add(response)
                    db.session.flush()
            except IntegrityError:
                if context.enrollment is not None:  # look again, whatever check_once found before
                    _checked_once().discard((context.enrollment.id, form.key, context.stage))
                _refuse_second(form, context)
                raise
    else:
        response = db.session.get(FormResponse, response_id)
        if response is None or response.form_key != form.key:
            raise ResponseNotFound(f"There is no saved '{form.key}' form {response_id}.")
        if (submit and response.status == "submitted" and response.answers == answers
                and expected_revision is not None and expected_revision == response.revision - 1):
            return response  # the same submission sent twice
        if not submit and response.status == "submitted":
            raise AlreadySubmitted("This form was already submitted; submit your corrections instead of a draft.")
        if expected_revision is None:
            expected_revision = response.revision
        # Claim the next revision atomically: a concurrent save makes this match no row.
        claimed = db.session.execute(
            update(FormResponse).where(FormResponse.id == response.id, FormResponse.revision == expected_revision)
            .values(revision=expected_revision + 1, updated_by=actor.account_id,
                    updated_by_name=actor.name or None, updated_dt=now)
            .execution_options(synchronize_session=False))
        db.session.refresh(response)
        if claimed.rowcount != 1:
            raise ConcurrentEditError(response)
        response.answers = answers
        response.information_date = context.information_date
        # The answers now are those of this version of the form (a draft may be finished
        # after a new version was published): the response records the one they fit.
        response.definition_version_id = form.version_id
        response.fragment_versions = dict(form.fragment_versions)
    if submit:
        from ..records.assessments import apply_submission

        response.status = "submitted"
        response.submitted_dt = now
        apply_submission(actor, context, submission, response, flush=savepoint)
    if savepoint:
        db.session.flush()
    return response


def _refuse_second(form: CompiledForm, context: FormContext) -> None:
    """An intake, exit or post-exit form is filled once per enrollment: someone who opens a
    new one while another exists is told whose it is (and nothing is saved). Skipped when
    :func:`check_once` looked in this transaction already."""
    if context.enrollment is None or context.stage not in ONCE_STAGES:
        return
    if (context.enrollment.id, form.key, context.stage) in _checked_once():
        return
    existing = db.session.scalar(select(FormResponse).where(
        FormResponse.enrollment_id == context.enrollment.id, FormResponse.form_key == form.key,
        FormResponse.stage == context.stage))
    if existing is not None:
        raise ConcurrentEditError(existing, started=True)


def _checked_once() -> set[tuple[int, str, str]]:
    """``(enrollment id, form key, stage)`` that :func:`check_once` found free in this transaction."""
    return transaction_memo(_ONCE_CHECKED)


def check_once(pairs: list[tuple[CompiledForm, FormContext]]) -> dict[tuple[int, str], ConcurrentEditError]:
    """What ``save_response`` checks before starting a new intake, exit or post-exit form
    (one per enrollment), for a page's new forms in one query instead of one each.

    Returns ``{(enrollment id, form key): error}`` for the forms someone else has started;
    the rest are remembered for this transaction, so their saves skip the check (the
    unique index still refuses a race lost after it).
    """
    wanted = {(context.enrollment.id, form.key, context.stage) for form, context in pairs
              if context.enrollment is not None and context.stage in ONCE_STAGES}
    if not wanted:
        return {}
    found: dict[tuple[int, str], ConcurrentEditError] = {}
    for existing in db.session.scalars(select(FormResponse).where(
            FormResponse.enrollment_id.in_(sorted({key[0] for key in wanted})),
            FormResponse.stage.in_(sorted({key[2] for key in wanted})))):
        if (existing.enrollment_id, existing.form_key, existing.stage) in wanted:
            found.setdefault((existing.enrollment_id, existing.form_key), ConcurrentEditError(existing, started=True))
    _checked_once().update(key for key in wanted if key[:2] not in found)
    return found


def _draft_answers(submission: Submission) -> dict[str, Any]:
    """A draft keeps every readable answer, shown or not yet (it is unfinished work)."""
    return dict(submission.answers)


def open_response(response_id: int) -> tuple[FormResponse, CompiledForm, dict[str, Any]]:
    """A saved response with the form version it was entered with and its typed answers,
    ready for ``render(form, context, values=values)``; pass ``response.revision`` back as
    ``expected_revision`` when saving. :raise ResponseNotFound: no such response."""
    from .loading import load_version
    from .read import answers_from_json

    response = db.session.get(FormResponse, response_id)
    if response is None:
        raise ResponseNotFound(f"There is no saved form {response_id}.")
    form = load_version(response.definition_version_id, response.fragment_versions)
    return response, form, answers_from_json(form, response.answers)
