"""The sharing policy's write check for a page of forms at once.

:func:`hmis.forms.responses.save_response` checks that the actor may change the
enrollment it writes into: two queries. A household's page saves one form per member,
so it asks :func:`check_writable` for every member first (two queries for the page, none
when the page's own query read both facts in this transaction); ``save_response`` then
skips the members allowed, in the same transaction only (a new transaction checks again:
access may have changed in between).

:func:`with_visible_column` adds the read check (may the actor see each enrollment) to a
page's own query, kept per condition so a returning actor's statement is not built again.
"""
from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Select, select

from ..access import policy
from ..access.operations import Actor
from ..db import transaction_memo
from ..extensions import db
from ..models import Enrollment
from .context import FormContext

__all__ = ["check_writable", "checked_writable", "with_visible_column"]

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


#: ``(statement, statement with its visibility column)`` by the statement's id and the
#: condition's SQL and bound values; bounded.
_WITH_VISIBLE: dict[tuple, tuple[Select, Select]] = {}
_WITH_VISIBLE_SIZE = 256
_WITH_VISIBLE_LOCK = threading.Lock()  # statements are built one thread at a time (hmis.db.built_once)


def with_visible_column(statement: Select, actor: Actor) -> Select:
    """``statement`` (built once, reading ``Enrollment``) with a ``visible`` column: whether
    ``actor`` may see the enrollment (``policy.enrollment_condition``).

    The condition is the actor's, so the statement cannot be built once for everyone; but
    the same condition (same SQL, same bound values) gets the same statement back, which
    keeps its SQL cache key: working that key out again over the whole statement cost a
    page more CPU than building the condition.
    """
    condition = policy.enrollment_condition(actor)
    condition_key = condition._generate_cache_key()
    values = None if condition_key is None else _hashable(tuple(bind.effective_value
                                                                for bind in condition_key.bindparams))
    if values is None:  # a condition SQLAlchemy cannot key: built afresh each time
        return statement.add_columns(condition.label("visible"))
    key = (id(statement), condition_key.key, values)
    found = _WITH_VISIBLE.get(key)
    if found is None or found[0] is not statement:  # (an id is only unique while its statement lives)
        with _WITH_VISIBLE_LOCK:
            if len(_WITH_VISIBLE) >= _WITH_VISIBLE_SIZE:
                _WITH_VISIBLE.clear()
            found = _WITH_VISIBLE[key] = (statement, statement.add_columns(condition.label("visible")))
    return found[1]


def _hashable(values: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """Bound values as a dictionary key (an IN list as a tuple; each with its type, as 1 and
    true are equal keys), or None if one cannot be."""
    values = tuple((value.__class__, tuple(value) if isinstance(value, (list, set, frozenset)) else value)
                   for value in values)
    try:
        hash(values)
    except TypeError:
        return None
    return values
