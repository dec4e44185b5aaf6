"""Duplicate review pages: the queue, a pair side by side, merge history, links.

Thin views over :mod:`review`, :mod:`merge` and :mod:`links`: they read the form, call the
operation as the signed-in actor, commit, and say what happened. ``duplicates.review``
opens the pages; ``duplicates.merge`` is checked by the operations that merge, link and undo.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from ..access.operations import require
from ..extensions import db
from ..hud.spec import SPEC
from ..models import Client, DataSource, Enrollment
from ..models.core import Account, Job
from ..models.identity import ClientLink, ClientMerge, DuplicateCandidate, NotDuplicate
from ..web.auth import current_actor
from . import links, merge, review
from .errors import IdentityError
from .jobs import JOB_KIND, start_scan

bp = Blueprint("duplicates", __name__, url_prefix="/duplicates",
               template_folder=str(Path(__file__).resolve().parent / "templates"))

#: HUD's name and code list of each client field, for labels and coded values.
CLIENT_COLUMNS = {c.attr: c for c in SPEC["Client"].columns}


def _can_review():
    actor = current_actor()
    require(actor, "duplicates.review", operation_name="duplicates.review")
    return actor


#: Client fields that show a name: hidden where the privacy policy hides a restricted client's name.
NAME_FIELDS = frozenset({"first_name", "middle_name", "last_name", "name_suffix"})


def _names_for(actor, clients) -> tuple[dict[int, str], set[int]]:
    """Display names by client id, and the ids whose name this actor may not see
    (``hmis.access.policy``: restricted clients of other agencies)."""
    clients = [c for c in clients if c is not None]
    from ..access import policy

    names = policy.display_names(actor, clients)
    hidden = policy.hidden_name_ids(actor, [c.id for c in clients])
    return names, hidden


def _int(name: str, source=None) -> int:
    raw = (source or request.form).get(name, "")
    try:
        return int(raw)
    except (TypeError, ValueError):
        abort(400, description=f"{name} must be a client number")


def _fail(exc: IdentityError):
    db.session.rollback()
    flash(str(exc), "error")


@bp.app_template_filter("client_value")
def client_value(value: Any, field: str) -> str:
    """A client field as people read it: code labels, dates, masked SSN."""
    if value is None or value == "":
        return "—"
    if field == "ssn":
        digits = str(value)
        return f"•••-••-{digits[-4:]}" if len(digits) >= 4 else "•••"
    column = CLIENT_COLUMNS.get(field)
    if column is not None and column.code_list:
        from ..web.pages import hud_label

        return hud_label(column.code_list, value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


@bp.app_template_global()
@bp.app_template_filter("client_field_label")
def client_field_label(field: str) -> str:
    column = CLIENT_COLUMNS.get(field)
    return column.name if column is not None else field


# -- the queue ----------------------------------------------------------------------------

@bp.get("/")
def index():
    actor = _can_review()
    a, b = aliased(Client), aliased(Client)
    statement = (select(DuplicateCandidate, a, b)
                 .join(a, a.id == DuplicateCandidate.client_a_id).join(b, b.id == DuplicateCandidate.client_b_id)
                 .where(DuplicateCandidate.status == "open", a.date_deleted.is_(None), b.date_deleted.is_(None))
                 .order_by(DuplicateCandidate.score.desc(), DuplicateCandidate.id))
    page = db.paginate(statement, per_page=current_app.config.get("PAGE_SIZE", 50), error_out=False)
    rows = db.session.execute(statement.limit(page.per_page).offset((page.page - 1) * page.per_page)).all()
    last_job = db.session.scalar(select(Job).where(Job.kind == JOB_KIND).order_by(Job.created_dt.desc()).limit(1))
    decided = dict(db.session.execute(select(DuplicateCandidate.status, func.count())
                                      .where(DuplicateCandidate.status != "open")
                                      .group_by(DuplicateCandidate.status)).all())
    names, _ = _names_for(actor, [c for row in rows for c in row[1:]])
    return render_template("duplicates/index.html", page=page, rows=rows, job=last_job, decided=decided,
                           names=names)


@bp.post("/find")
def find():
    job = start_scan(current_actor())
    if job.status == "failed":
        flash(f"The scan failed: {job.error}", "error")
    elif job.status == "finished":
        pairs = job.result.get("pairs", 0)
        flash(f"Found {pairs:,} candidate pair{'' if pairs == 1 else 's'} among {job.result.get('clients', 0):,} "
              "clients.", "success")
    else:
        flash("The scan has started; the queue fills when it is done.", "info")
    return redirect(url_for("duplicates.index"))


# -- one pair -------------------------------------------------------------------------------

def _enrollment_counts(clients: list[Client]) -> dict[int, int]:
    counts = {}
    for client in clients:
        counts[client.id] = db.session.scalar(select(func.count()).select_from(Enrollment).where(
            Enrollment.data_source_id == client.data_source_id, Enrollment.personal_id == client.personal_id,
            Enrollment.date_deleted.is_(None)))
    return counts


@bp.get("/compare/<int:a>/<int:b>")
def compare(a: int, b: int):
    actor = _can_review()
    if a == b:
        abort(404)
    first, second = db.get_or_404(Client, a), db.get_or_404(Client, b)
    survivor_id = request.args.get("survivor", type=int)
    if survivor_id not in (a, b):
        survivor_id = a
    low, high = links.ordered(a, b)
    candidate = db.session.scalar(select(DuplicateCandidate).where(DuplicateCandidate.client_a_id == low,
                                                                   DuplicateCandidate.client_b_id == high))
    survivor, merged = (first, second) if survivor_id == a else (second, first)
    defaults = merge.default_choices(survivor, merged)
    fields = [{"name": f, "a": getattr(first, f), "b": getattr(second, f),
               "same": getattr(first, f) == getattr(second, f),
               "pick": ("a" if survivor_id == a else "b") if defaults[f] == "survivor"
               else ("b" if survivor_id == a else "a")}
              for f in merge.CHOOSABLE_FIELDS]
    names, hidden = _names_for(actor, [first, second])
    if hidden:  # a restricted client's name is not shown, nor offered as a choice
        for f in fields:
            if f["name"] in NAME_FIELDS:
                f["hidden"] = True
    sources = dict(db.session.execute(select(DataSource.id, DataSource.name)).all())
    link = db.session.scalar(select(ClientLink).where(ClientLink.client_a_id == low, ClientLink.client_b_id == high))
    remembered = db.session.scalar(select(NotDuplicate).where(NotDuplicate.client_a_id == low,
                                                              NotDuplicate.client_b_id == high))
    return render_template(
        "duplicates/compare.html", first=first, second=second, survivor_id=survivor_id, candidate=candidate,
        fields=fields, sources=sources, counts=_enrollment_counts([first, second]), link=link,
        remembered=remembered, version=merge.pair_version(survivor, merged), names=names,
        same_source=first.data_source_id == second.data_source_id,
        live=first.date_deleted is None and second.date_deleted is None)


@bp.post("/merge")
def merge_pair():
    a, b, survivor_id = _int("a"), _int("b"), _int("survivor")
    if survivor_id not in (a, b):
        abort(400, description="survivor must be one of the two clients")
    merged_id = b if survivor_id == a else a
    survivor_side = "a" if survivor_id == a else "b"
    choices = {}
    for field in merge.CHOOSABLE_FIELDS:
        picked = request.form.get(f"field_{field}")  # (name fields of a restricted client are never offered)
        if picked in ("a", "b"):
            choices[field] = "survivor" if picked == survivor_side else "merged"
    try:
        record = merge.merge_clients(current_actor(), survivor_id, merged_id, choices,
                                     expected_version=request.form.get("version") or None)
    except IdentityError as exc:
        _fail(exc)
        return redirect(url_for("duplicates.compare", a=a, b=b, survivor=survivor_id))
    db.session.commit()
    overlaps = len(record.flags.get("overlapping_enrollments", []))
    flash(f"Client {merged_id} was merged into client {survivor_id}."
          + (f" {overlaps} overlapping enrollment pair(s) need a look." if overlaps else ""), "success")
    return redirect(url_for("duplicates.merge_detail", id=record.id))


@bp.post("/link")
def link_pair():
    a, b = _int("a"), _int("b")
    try:
        links.link_clients(current_actor(), a, b, request.form.get("note"))
    except IdentityError as exc:
        _fail(exc)
        return redirect(url_for("duplicates.compare", a=a, b=b))
    db.session.commit()
    flash(f"Clients {a} and {b} are linked: they count as one person and keep their own records.", "success")
    return redirect(url_for("duplicates.index"))


@bp.post("/not-duplicate")
def not_duplicate():
    a, b = _int("a"), _int("b")
    try:
        review.mark_not_duplicate(current_actor(), a, b, request.form.get("note"))
    except IdentityError as exc:
        _fail(exc)
        return redirect(url_for("duplicates.index"))
    db.session.commit()
    flash(f"Clients {a} and {b} are remembered as different people and will not be proposed again.", "success")
    return redirect(url_for("duplicates.index"))


# -- merges and links -------------------------------------------------------------------------

def _names(account_ids) -> dict[int, str]:
    ids = {i for i in account_ids if i}
    return dict(db.session.execute(select(Account.id, Account.name).where(Account.id.in_(ids))).all()) if ids else {}


@bp.get("/merges")
def merges():
    actor = _can_review()
    page = db.paginate(select(ClientMerge).order_by(ClientMerge.created_dt.desc(), ClientMerge.id.desc()),
                       per_page=current_app.config.get("PAGE_SIZE", 50), error_out=False)
    ids = {i for m in page.items for i in (m.survivor_id, m.merged_id)}
    clients = db.session.scalars(select(Client).where(Client.id.in_(ids))).all() if ids else []
    client_names, _ = _names_for(actor, clients)
    return render_template("duplicates/merges.html", page=page, names=_names(m.account_id for m in page.items),
                           client_names=client_names)


@bp.get("/merges/<int:id>")
def merge_detail(id: int):
    actor = _can_review()
    record = db.get_or_404(ClientMerge, id)
    survivor = db.session.get(Client, record.survivor_id)
    merged = db.session.get(Client, record.merged_id)
    preview = merge.undo_preview(record) if record.status == "active" else None
    client_names, hidden = _names_for(actor, [survivor, merged])
    return render_template("duplicates/merge.html", record=record, survivor=survivor, merged=merged,
                           preview=preview, names=_names([record.account_id, record.undone_by_id]),
                           client_names=client_names, names_hidden=bool(hidden))


@bp.post("/merges/<int:id>/undo")
def undo(id: int):
    try:
        record = merge.undo_merge(current_actor(), id)
    except IdentityError as exc:
        _fail(exc)
        return redirect(url_for("duplicates.merge_detail", id=id))
    db.session.commit()
    kept = record.undo_summary.get("kept_fields") or []
    flash(f"Merge {id} was undone: client {record.merged_id} is back with its records."
          + (f" Kept later edits to: {', '.join(client_field_label(f) for f in kept)}." if kept else ""), "success")
    return redirect(url_for("duplicates.merge_detail", id=id))


@bp.get("/links")
def link_list():
    actor = _can_review()
    a, b = aliased(Client), aliased(Client)
    rows = db.session.execute(select(ClientLink, a, b).join(a, a.id == ClientLink.client_a_id)
                              .join(b, b.id == ClientLink.client_b_id)
                              .order_by(ClientLink.created_dt.desc()).limit(500)).all()
    remembered = db.session.execute(
        select(NotDuplicate, a, b).join(a, a.id == NotDuplicate.client_a_id).join(b, b.id == NotDuplicate.client_b_id)
        .order_by(NotDuplicate.created_dt.desc()).limit(500)).all()
    names, _ = _names_for(actor, [c for row in list(rows) + list(remembered) for c in row[1:]])
    return render_template("duplicates/links.html", rows=rows, remembered=remembered, names=names)


@bp.post("/links/<int:id>/unlink")
def unlink(id: int):
    try:
        links.unlink_clients(current_actor(), id)
    except IdentityError as exc:
        _fail(exc)
        return redirect(url_for("duplicates.link_list"))
    db.session.commit()
    flash("The link was removed: the two records count as two people again.", "success")
    return redirect(url_for("duplicates.link_list"))


@bp.post("/not-duplicate/<int:id>/forget")
def forget(id: int):
    try:
        review.forget_not_duplicate(current_actor(), id)
    except IdentityError as exc:
        _fail(exc)
        return redirect(url_for("duplicates.link_list"))
    db.session.commit()
    flash("The decision was taken back: the next scan may propose this pair again.", "success")
    return redirect(url_for("duplicates.link_list"))


def client_history(client_id: int) -> list[ClientMerge]:
    """Merges a client took part in, newest first (for a client page that wants to show them)."""
    return list(db.session.scalars(select(ClientMerge).where(
        or_(ClientMerge.survivor_id == client_id, ClientMerge.merged_id == client_id))
        .order_by(ClientMerge.created_dt.desc())))


__all__ = ["bp", "client_history"]
