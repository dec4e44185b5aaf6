"""The household page's current living situation (4.12) panel, through the CLS form(s).

Which form records a contact is the form rules' ``cls`` stage (shipped:
``hud-current-living-situation``), so the HMIS lead can add or change its questions
without code. The panel renders the form once for the household; the member chosen in
its "For" list is whose enrollment the answers are read and saved for, as a submitted
form response that writes one CurrentLivingSituation row (and any custom data).
"""
from __future__ import annotations

from typing import Any

from .. import forms
from ..access.operations import Actor
from ..models import Enrollment, Project
from .assessment_screen import MemberForm, keep_typed

#: The form-rules stage of a current living situation.
STAGE = "cls"


def panel(project: Project | None, member: Enrollment) -> list[MemberForm]:
    """The CLS form(s) for ``member`` (published versions; the prefix does not name the
    member, so what the page shows for one is read for whoever is chosen).

    :raise hmis.forms.FormNotPublished: a form the rules name is not published.
    """
    context = forms.context_for(member, STAGE)
    return [MemberForm(member, context.client, forms.load(chosen.form), context, f"cls-{chosen.form}-")
            for chosen in forms.applicable(project, STAGE, funders=context.funders)]


def record(actor: Actor, project: Project | None, member: Enrollment, formdata: Any) -> list[MemberForm]:
    """Submit the posted CLS form(s) for ``member`` (flushed, not committed).

    Returns the panel; when something is wrong, its entries carry the typed values and
    the messages at their items, nothing is written, and :class:`NotRecorded` is raised
    with the panel as ``entries``.
    """
    entries = panel(project, member)
    failed = False
    for entry in entries:
        submission = forms.read(entry.form, formdata, entry.context, prefix=entry.prefix)
        entry.errors, entry.warnings = submission.errors, submission.warnings
        entry.values = keep_typed(entry.form, formdata, entry.prefix, submission.answers, submission.errors)
        if submission.ok and not submission.records and not submission.custom:
            entry.errors = {"_form": "This form asks nothing about the person chosen under “For” (it is "
                                     "collected about other household members): choose someone else."}
        failed = failed or bool(entry.errors)
    if failed:
        raise NotRecorded(entries)
    for entry in entries:
        try:
            forms.responses.save_response(actor, entry.form, entry.context, formdata, submit=True,
                                          prefix=entry.prefix)
        except forms.responses.FormInvalid as invalid:
            entry.errors, entry.warnings = invalid.submission.errors, invalid.submission.warnings
            raise NotRecorded(entries) from None
    return entries


class NotRecorded(Exception):
    """The posted CLS form could not be saved; ``entries`` show why, at their items."""

    def __init__(self, entries: list[MemberForm]) -> None:
        super().__init__("The current living situation was not recorded.")
        self.entries = entries
