"""Definition management in the browser, for the HMIS lead: list, view, upload or edit the
YAML (problems shown at their line), publish, retire, diff. Previewing a form is the
forms room's page (``forms.preview``), linked from here.

Looking needs ``definitions.view``; changing needs ``definitions.manage``. The work is
done by :mod:`hmis.definitions.service`; these views only call it and commit.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from ..access.operations import require
from ..extensions import db
from ..models.definitions import Definition, DefinitionVersion
from ..web.auth import current_actor
from . import service
from .checks import check_source
from .loader import MAX_SOURCE_BYTES
from .problems import DefinitionError, DefinitionProblem
from .registry import KEY_PATTERN, KINDS

bp = Blueprint("definitions", __name__, url_prefix="/definitions",
               template_folder=str(Path(__file__).resolve().parent / "templates"))


@bp.context_processor
def _page_helpers() -> dict:
    """What the pages ask: may the viewer change things, and which pages exist."""
    return {"current_actor_can": current_actor().can, "endpoints": current_app.view_functions}


def _require(permission: str) -> None:
    require(current_actor(), permission)


def _kind(kind: str) -> str:
    if kind not in KINDS:
        abort(404)
    return kind


def _version(kind: str, key: str, number: int) -> DefinitionVersion:
    found = service.get_version(_kind(kind), key, number)
    if found is None:
        abort(404)
    return found


@bp.get("/")
def index():
    """Every definition with its published and newest versions."""
    _require("definitions.view")
    kind = request.args.get("kind", "")
    statement = select(Definition).order_by(Definition.kind, Definition.key)
    if kind in KINDS:
        statement = statement.where(Definition.kind == kind)
    definitions = list(db.session.scalars(statement))
    rows = []
    for definition in definitions:
        versions = definition.versions
        rows.append({"definition": definition, "newest": versions[-1] if versions else None,
                     "published": next((v for v in versions if v.status == "published"), None),
                     "fragment": bool(versions and isinstance(versions[-1].body, dict)
                                      and versions[-1].body.get("fragment"))})
    return render_template("definitions/index.html", rows=rows, kinds=KINDS, kind=kind)


@bp.get("/<kind>/<key>")
def show(kind: str, key: str):
    """One definition: its versions, the chosen version's text and problems."""
    _require("definitions.view")
    _kind(kind)
    definition = service.get_definition(kind, key)
    if definition is None:
        abort(404)
    versions = service.history(kind, key)
    number = request.args.get("v", type=int)
    version = next((v for v in versions if v.version == number), None) if number else None
    version = version or next((v for v in versions if v.status == "published"), None) or versions[0]
    problems = service.validate(kind, version) if version.status == "draft" else []
    return render_template("definitions/show.html", definition=definition, versions=versions, version=version,
                           problems=problems, lines=_numbered(version.source_text, problems))


def _numbered(text: str, problems: list[DefinitionProblem]) -> list[tuple[int, str, list[str]]]:
    """The source as (line number, text, problems at that line) for the listing."""
    at: dict[int, list[str]] = {}
    for problem in problems:
        at.setdefault(problem.line or 1, []).append(problem.message)
    return [(number, line, at.get(number, [])) for number, line in enumerate(text.splitlines() or [""], start=1)]


@bp.route("/<kind>/<key>/edit", methods=["GET", "POST"])
def edit(kind: str, key: str):
    """Edit the YAML of a definition as a draft (the newest draft, else a copy of the newest version)."""
    _require("definitions.manage")
    _kind(kind)
    latest = service.latest(kind, key)
    if latest is None:
        abort(404)
    text = latest.source_text
    problems: list[DefinitionProblem] = []
    status = 200
    if request.method == "POST":
        text = request.form.get("source", "")
        saved, problems, status = _save(kind, key, text)
        if saved is not None and not problems:
            flash(f"Saved draft v{saved.version}. It has no problems: preview it, then publish.", "success")
            return redirect(url_for("definitions.show", kind=kind, key=key, v=saved.version))
        if saved is not None:
            flash(f"Saved draft v{saved.version}, with {len(problems)} problem(s) to fix before publishing.",
                  "warning")
    return render_template("definitions/edit.html", kind=kind, key=key, text=text, problems=problems,
                           lines=_numbered(text, problems), latest=latest), status


def _save(kind: str, key: str, text: str):
    """Save ``text`` as the draft: (version or None, problems, HTTP status)."""
    if len(text.encode("utf-8", "replace")) > MAX_SOURCE_BYTES:
        return None, [DefinitionProblem("", None, f"The text is larger than {MAX_SOURCE_BYTES:,} bytes.")], 413
    try:
        version = service.save_draft(kind, key, text, account_id=current_actor().account_id)
    except DefinitionError as error:
        db.session.rollback()
        return None, list(error.problems), 422
    problems = service.validate(kind, version)
    db.session.commit()
    return version, problems, 200 if not problems else 422


@bp.route("/new", methods=["GET", "POST"])
def upload():
    """Add a definition (or a new draft of one) from pasted text or an uploaded file."""
    _require("definitions.manage")
    kind = request.values.get("kind", "form")
    text = ""
    problems: list[DefinitionProblem] = []
    status = 200
    if request.method == "POST":
        _kind(kind)
        upload_file = request.files.get("file")
        if upload_file is not None and upload_file.filename:
            data = upload_file.read(MAX_SOURCE_BYTES + 1)
            if len(data) > MAX_SOURCE_BYTES:
                problems, status = [DefinitionProblem("", None, f"The file is larger than {MAX_SOURCE_BYTES:,} "
                                                                "bytes.")], 413
            else:
                text = data.decode("utf-8", "replace")
        else:
            text = request.form.get("source", "")
        if not problems:
            checked = check_source(kind, text)
            key = checked.key
            if not checked.readable:
                problems, status = list(checked.problems), 422
            elif not KEY_PATTERN.match(key or ""):
                problems, status = [DefinitionProblem("id", None, "The definition needs an 'id' such as "
                                                                  "'local-intake' (lower-case letters, digits, -).")], 422
            else:
                saved, problems, status = _save(kind, key, text)
                if saved is not None:
                    flash(f"Saved {kind} '{key}' draft v{saved.version}"
                          + (f" with {len(problems)} problem(s) to fix." if problems else "."),
                          "warning" if problems else "success")
                    return redirect(url_for("definitions.show", kind=kind, key=key, v=saved.version))
    return render_template("definitions/upload.html", kinds=KINDS, kind=kind, text=text, problems=problems,
                           lines=_numbered(text, problems) if problems else []), status


@bp.post("/<kind>/<key>/v<int:number>/publish")
def publish(kind: str, key: str, number: int):
    _require("definitions.manage")
    version = _version(kind, key, number)
    try:
        service.publish(version.id, account_id=current_actor().account_id)
    except DefinitionError as error:
        db.session.rollback()
        flash(f"v{number} was not published: {len(error.problems)} problem(s), listed at their lines below.",
              "error")
        return render_template("definitions/show.html", definition=version.definition,
                               versions=service.history(kind, key), version=version, problems=error.problems,
                               lines=_numbered(version.source_text, list(error.problems))), 422
    db.session.commit()
    flash(f"Published {kind} '{key}' v{number}; the version before it is retired.", "success")
    return redirect(url_for("definitions.show", kind=kind, key=key, v=number))


@bp.post("/<kind>/<key>/v<int:number>/retire")
def retire(kind: str, key: str, number: int):
    _require("definitions.manage")
    version = _version(kind, key, number)
    service.retire(version.id)
    db.session.commit()
    flash(f"Retired {kind} '{key}' v{number}. Responses entered with it still show as entered.", "success")
    return redirect(url_for("definitions.show", kind=kind, key=key, v=number))


@bp.get("/<kind>/<key>/diff")
def diff(kind: str, key: str):
    _require("definitions.view")
    _kind(kind)
    versions = service.history(kind, key) if service.get_definition(kind, key) else abort(404)
    numbers = [v.version for v in versions]
    old = request.args.get("a", type=int) or (numbers[1] if len(numbers) > 1 else numbers[0])
    new = request.args.get("b", type=int) or numbers[0]
    if old not in numbers or new not in numbers:
        abort(404)
    text = service.diff(kind, key, old, new)
    lines = [(line[:1] if line[:1] in "+-@" else " ", line) for line in text.splitlines()]
    return render_template("definitions/diff.html", definition=versions[0].definition, versions=versions,
                           old=old, new=new, lines=lines)
