"""The sharing policy's write check for a page of forms at once.

:func:`hmis.forms.responses.save_response` checks that the actor may change the
enrollment it writes into: two queries. A household's page saves one form per member,
so it asks :func:`check_writable` for every member first (two queries for the page, none
when the page's own query read both facts in this transaction); ``save_response`` then
skips the members allowed, in the same transaction only (a new transaction checks again:
access may have changed in between).
"""
from __future__ import annotations

from sqlalchemy import select

from ..access import policy
from ..access.operations import Actor
from ..db import transaction_memo
from ..extensions import db
from ..models import Enrollment
from .context import FormContext

__all__ = ["check_writable", "checked_writable"]

_CHECKED = "forms.checked_writable"


def checked_writable() -> set[tuple[Actor, int]]:
    """``(actor, enrollment id)`` pairs :func:`check_writable` allowed in this transaction."""
    return transaction_memo(_CHECKED)


def check_writable(actor: Actor, contexts: list[FormContext], *, visible: set[int] | None = None,
                   owners: dict[tuple[int, str], int | None] | None = None) -> None:
    """What ``save_response`` checks (``policy.require_enrollment(..., write=True)``), for
    every context's enrollment at once.

    :param visible: the ids among these enrollments that ``policy.enrollment_condition``
        holds for, when the caller read them already in this transaction (else one query).
    :param owners: the organization id of each ``(data source, project id)``, read with
        them (else one query per project).
    :raise PermissionDenied: as ``save_response`` would, for the first member refused.
    """
    enrollments = {c.enrollment.id: c.enrollment for c in contexts if c.enrollment is not None}
    if not enrollments:
        return
    if visible is None:
        visible = set(db.session.scalars(policy.filter_enrollments(
            actor, select(Enrollment.id).where(Enrollment.id.in_(sorted(enrollments))))))
    owners = dict(owners or {})
    for enrollment_id, enrollment in enrollments.items():
        if enrollment_id not in visible:
            policy.require_enrollment(actor, enrollment, write=True)  # raises, with its message
        if not (actor.is_system or policy.has_full_access(actor)):
            project = (enrollment.data_source_id, enrollment.project_id)
            if project not in owners:  # a household is in one project: one look-up
                owners[project] = policy.enrollment_organization_id(enrollment)
            if owners[project] not in actor.organization_ids:
                policy.require_enrollment(actor, enrollment, write=True)  # raises, with its message
        checked_writable().add((actor, enrollment_id))
