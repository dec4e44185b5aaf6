"""Screens for agency staff: find or create a client, edit the profile, enroll a household,
fill its assessments, record services, bed nights and current living situations, exit.

Views stay thin: they read the request, call the records service (or the forms engine)
with the signed-in actor, commit once, and redirect (post/redirect/get, so the back
button and a reload never send a form twice). A service's RecordInvalid becomes messages
beside their items; nothing is written when there is one. Each form carries a submit-once
token: a double click finds it taken and goes to the first result instead.
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError

from .. import forms
from ..access import policy
from ..extensions import db
from ..models import Client, Enrollment, Organization, Project, Services
from ..web.auth import current_actor
from . import assessment_screen, living_situation, profile, submissions
from .clients import get_client, require_unchanged, search_clients
from .errors import RecordInvalid, StaleRecord
from .households import (DESTINATION_LIST, RELATIONSHIP_LIST, add_member, enroll_household, exit_household,
                         exit_of, household_of)
from .hud_values import choices
from .service_records import BED_NIGHT, record_bed_nights, record_service
from .visibility import visible_enrollments

bp = Blueprint("records", __name__, template_folder="templates", url_prefix="/records")

#: Assessment stages staff fill from the household page, with their headings.
STAGES = {"project_start": "Intake", "update": "Update", "annual": "Annual assessment",
          "exit": "Exit assessment"}
MAX_MEMBERS = 20


def wants_partial() -> bool:
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


def _form_text(name: str, limit: int = 200_000) -> str:
    """A posted value, cut at a size no field needs (the service says what is too long)."""
    return (request.form.get(name) or "")[:limit]


def _already_done(token: str | None):
    """A redirect to the first result when this form's token was used already."""
    earlier = submissions.already_submitted(token)
    if earlier is None:
        return None
    flash("That form was already sent; here is what it saved.", "info")
    return redirect(earlier.result_url, code=303)


def _commit_once(token: str | None, result_url: str):
    """Claim the token and commit; on a lost race, the other request's result wins."""
    try:
        submissions.claim(token, current_actor().account_id, result_url)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return _already_done(token) or redirect(result_url, code=303)
    return None


def _project_choices(actor) -> list[tuple[int, str]]:
    """(id, name) of the projects the actor may enroll people in, by name."""
    statement = select(Project).where(Project.date_deleted.is_(None)).order_by(Project.project_name, Project.id)
    if not (actor.is_system or policy.has_full_access(actor)):
        statement = statement.join(Organization, and_(Organization.data_source_id == Project.data_source_id,
                                                      Organization.organization_id == Project.organization_id)
                                   ).where(Organization.id.in_(actor.organization_ids or {-1}))
    return [(p.id, p.project_name or p.project_id) for p in db.session.scalars(statement.limit(500))]


def _client_or_404(client_id: int) -> Client:
    client = get_client(current_actor(), client_id)
    if client is None:
        abort(404)
    return client


def _enrollment_or_404(enrollment_id: int) -> Enrollment:
    enrollment = db.session.scalar(visible_enrollments(current_actor(), select(Enrollment).where(
        Enrollment.id == enrollment_id, Enrollment.date_deleted.is_(None))))
    if enrollment is None:
        abort(404)
    return enrollment


# -- find a client before creating one --------------------------------------------------------

@bp.get("/find")
def find():
    actor = current_actor()
    asked = {k: (request.args.get(k) or "").strip()[:200] for k in ("name", "dob", "ssn_last4")}
    adding_to = request.args.get("household_for", type=int)
    matches, errors = [], {}
    if any(asked.values()):
        try:
            matches = search_clients(actor, name=asked["name"], dob=asked["dob"] or None,
                                     ssn_last4=asked["ssn_last4"] or None, limit=25)
        except RecordInvalid as exc:
            errors = exc.errors
    names = policy.display_names(actor, [m.client for m in matches])
    template = "records/_matches.html" if wants_partial() else "records/find.html"
    return render_template(template, asked=asked, matches=matches, errors=errors, names=names,
                           adding_to=adding_to, searched=any(asked.values()))


# -- create and edit a client -------------------------------------------------------------------

@bp.route("/clients/new", methods=["GET", "POST"])
def new_client():
    """A new client through the published profile form(s), possible matches shown first."""
    actor = current_actor()
    try:
        page = profile.page_for(None)
    except forms.FormNotPublished as exc:
        return _form_missing(exc)
    if request.method == "GET":
        typed = request.args.get("name", "")[:200]
        first, _, last = typed.strip().partition(" ")
        profile.prefill(page, first.strip(), last.strip(), request.args.get("dob", "")[:10])
        return _client_form(None, page, token=submissions.new_token())
    token = request.form.get("token")
    done = _already_done(token)
    if done:
        return done
    try:
        made = profile.create_from_page(actor, page, request.form, confirmed=bool(request.form.get("confirm_new")))
    except profile.ProfileRefused:
        db.session.rollback()
        return _client_form(None, page, token=token, status=422)
    if made.client is None:
        return _client_form(None, page, token=token, matches=made.matches,
                            names=policy.display_names(actor, [m.client for m in made.matches]))
    client = made.client
    result = url_for("pages.client", id=client.id)
    lost = _commit_once(token, result)
    if lost:
        return lost
    flash("Client created.", "success")
    return redirect(result, code=303)


@bp.route("/clients/<int:id>/edit", methods=["GET", "POST"])
def edit_client(id: int):
    """A client's profile through the same form(s); the second of two editors is refused."""
    actor = current_actor()
    client = _client_or_404(id)
    try:
        page = profile.page_for(client)
    except forms.FormNotPublished as exc:
        return _form_missing(exc)
    if request.method == "GET":
        for entry in page:
            entry.values = profile.values_on_file(entry.form, client)
        return _client_form(client, page, token=submissions.new_token(),
                            version=client.date_updated.isoformat() if client.date_updated else "")
    version = request.form.get("version") or None
    token = request.form.get("token")
    formdata = profile.completed(page, request.form, client)
    if not profile.read_page(page, formdata):
        for entry in page:
            _forget_ssn(entry)
        return _client_form(client, page, token=token, version=version, status=422)
    try:
        require_unchanged(client, version)
        profile.save_page(actor, page, client, formdata)
    except (RecordInvalid, forms.responses.FormInvalid) as exc:
        db.session.rollback()
        if isinstance(exc, RecordInvalid):
            flash(str(exc), "error")
        for entry in page:
            _forget_ssn(entry)
        return _client_form(client, page, token=token, version=version,
                            status=409 if isinstance(exc, StaleRecord) else 422)
    db.session.commit()
    flash("Client saved.", "success")
    return redirect(url_for("pages.client", id=client.id), code=303)


def _forget_ssn(entry: profile.ProfileForm) -> None:
    """A page shown again never carries the SSN on file back to the browser."""
    for item in entry.form.all_items:
        if item.type == "ssn" and isinstance((entry.values or {}).get(item.id), dict):
            entry.values[item.id] = {**entry.values[item.id], "ssn": None}


def _client_form(client: Client | None, page: list, *, token: str | None, status: int = 200, **more):
    errors = sum(len([k for k in entry.errors if k != "_form"]) for entry in page)
    return render_template("records/client_form.html", client=client, page=page, token=token,
                           error_count=errors, matches=more.pop("matches", []), **more), status


def _form_missing(exc: Exception):
    return render_template("error.html", title="Form not available",
                           message=f"{exc} Ask your HMIS lead to publish it."), 409


# -- a client's profile history -------------------------------------------------------------------

@bp.get("/clients/<int:id>/history")
def history(id: int):
    """Who changed which profile field when, newest first, a page at a time (from the audit
    log). Someone who may not see the client gets 404, as if there were none; looking is
    audited, as the client page is."""
    from ..access import audit
    from ..access.operations import PermissionDenied
    from .history import profile_history

    actor = current_actor()
    client = db.session.get(Client, id)
    if client is None or client.date_deleted is not None:
        abort(404)
    try:
        found = profile_history(actor, client, request.args.get("page", 1, type=int))  # checks visibility
    except PermissionDenied:
        abort(404)
    template = "records/_history_rows.html" if wants_partial() else "records/history.html"
    # Rendered before the audit event commits: committing first would reload what the page shows.
    html = render_template(template, client=client, name=policy.display_name(actor, client), history=found,
                           args={"id": client.id})
    audit.record("client.history_view", subject_type="client", subject_id=client.id,
                 details={"page": found.page.page}, commit=True)
    return html, 200, {"Vary": "HX-Request"}


# -- household builder and enrollment ---------------------------------------------------------

@bp.get("/clients/<int:id>/enroll")
def enroll(id: int):
    actor = current_actor()
    head = _client_or_404(id)
    return render_template("records/enroll.html", head=head, members=[(head, 1)], projects=_project_choices(actor),
                           values={"entry_date": date.today().isoformat()}, errors={},
                           relationships=choices(RELATIONSHIP_LIST, leave_out=frozenset({99})),
                           token=submissions.new_token())


@bp.get("/household-member")
def household_member():
    """One row of the household builder (htmx appends it to the list)."""
    client = _client_or_404(request.args.get("client_id", type=int) or 0)
    return render_template("records/_member_row.html", client=client, relationship=None,
                           relationships=choices(RELATIONSHIP_LIST, leave_out=frozenset({99})))


@bp.get("/empty")
def empty():
    """Nothing: what a "remove" button swaps its row with."""
    return ""


@bp.post("/clients/<int:id>/enroll")
def enroll_post(id: int):
    actor = current_actor()
    head = _client_or_404(id)
    token = request.form.get("token")
    done = _already_done(token)
    if done:
        return done
    ids = request.form.getlist("member")[:MAX_MEMBERS]
    relationships = request.form.getlist("relationship")[:MAX_MEMBERS]
    members = []
    for raw_id, relationship in zip(ids, relationships):
        client = get_client(actor, int(raw_id)) if raw_id.isdigit() else None
        if client is None:
            abort(404)
        members.append((client, relationship))
    project = db.session.get(Project, request.form.get("project", type=int) or 0)
    values = {"entry_date": _form_text("entry_date", 40), "project": project.id if project else None,
              "enrollment_coc": _form_text("enrollment_coc", 40)}
    try:
        if project is None:
            raise RecordInvalid({"project": "Choose the project."})
        enrollments = enroll_household(actor, project, members, values["entry_date"],
                                       enrollment_coc=values["enrollment_coc"] or None)
    except RecordInvalid as exc:
        db.session.rollback()
        return render_template("records/enroll.html", head=head, members=members, projects=_project_choices(actor),
                               values=values, errors=exc.errors, token=token,
                               relationships=choices(RELATIONSHIP_LIST, leave_out=frozenset({99}))), 422
    result = url_for("records.household", id=enrollments[0].id)
    lost = _commit_once(token, result)
    if lost:
        return lost
    flash(f"Enrolled {len(enrollments)} {'person' if len(enrollments) == 1 else 'people'}.", "success")
    return redirect(result, code=303)


# -- the household page -------------------------------------------------------------------------

def _people(enrollments: list[Enrollment]) -> dict[str, Client]:
    if not enrollments:
        return {}
    rows = db.session.scalars(select(Client).where(Client.data_source_id == enrollments[0].data_source_id,
                                                   Client.personal_id.in_([e.personal_id for e in enrollments])))
    return {c.personal_id: c for c in rows}


def _household_page(id: int, errors: dict[str, str] | None = None, status: int = 200,
                    cls_entries: list | None = None):
    """The household page; with ``errors`` (and the posted values) when a form on it failed,
    or ``cls_entries`` (the CLS panel with its messages) when that one did."""
    actor = current_actor()
    enrollment = _enrollment_or_404(id)
    members = household_of(enrollment)
    people = _people(members)
    project = db.session.scalar(select(Project).where(Project.data_source_id == enrollment.data_source_id,
                                                      Project.project_id == enrollment.project_id))
    services = db.session.scalars(select(Services).where(
        Services.data_source_id == enrollment.data_source_id,
        Services.enrollment_id.in_([e.enrollment_id for e in members]), Services.date_deleted.is_(None))
        .order_by(Services.date_provided.desc(), Services.id.desc()).limit(50)).all()
    exits = {e.id: exit_of(e) for e in members}
    names = policy.display_names(actor, people.values())
    open_members = [e for e in members if exits[e.id] is None]
    member_options = [(e.id, names.get(people[e.personal_id].id, "") if e.personal_id in people else "")
                      for e in open_members]
    cls_problem = None
    if cls_entries is None and open_members:
        try:
            cls_entries = living_situation.panel(project, open_members[0])
        except forms.FormNotPublished as exc:
            cls_entries, cls_problem = [], f"{exc} Ask your HMIS lead to publish it."
    return render_template(
        "records/household.html", enrollment=enrollment, members=members, people=people, project=project,
        cls_entries=cls_entries or [], cls_problem=cls_problem,
        annual_open=assessment_screen.annual_window(enrollment, date.today()) is not None,
        exits=exits, services=services, open_members=open_members, member_options=member_options,
        stages=STAGES, names=names,
        destinations=choices(DESTINATION_LIST),
        relationships=choices(RELATIONSHIP_LIST, leave_out=frozenset({1, 99})),
        record_types=[c for c in choices("1.4") if c[0] != BED_NIGHT], today=date.today().isoformat(),
        errors=errors or {}, values=request.form if errors else {},
        token=(request.form.get("token") if errors else None) or submissions.new_token()), status


@bp.get("/enrollments/<int:id>")
def household(id: int):
    return _household_page(id)


def _household_with_errors(id: int, errors: dict[str, str]):
    return _household_page(id, errors, 422)


@bp.post("/enrollments/<int:id>/exit")
def exit_post(id: int):
    actor = current_actor()
    enrollment = _enrollment_or_404(id)
    token = request.form.get("token")
    done = _already_done(token)
    if done:
        return done
    members = household_of(enrollment)
    chosen = {int(v) for v in request.form.getlist("exit_member") if v.isdigit()}
    leaving = [e for e in members if e.id in chosen]
    destinations = {e.id: _form_text(f"destination-{e.id}", 20) for e in leaving}
    try:
        exit_household(actor, leaving, _form_text("exit_date", 40), destinations=destinations)
    except RecordInvalid as exc:
        db.session.rollback()
        return _household_with_errors(id, {f"exit.{k}": v for k, v in exc.errors.items()})
    result = url_for("records.household", id=id)
    lost = _commit_once(token, result)
    if lost:
        return lost
    flash(f"Exited {len(leaving)} {'person' if len(leaving) == 1 else 'people'}.", "success")
    return redirect(result, code=303)


@bp.post("/enrollments/<int:id>/members")
def add_member_post(id: int):
    actor = current_actor()
    enrollment = _enrollment_or_404(id)
    client = get_client(actor, request.form.get("client_id", type=int) or 0)
    try:
        if client is None:
            raise RecordInvalid({"client": "Find the person first, then add them."})
        add_member(actor, enrollment, client, _form_text("relationship", 10), _form_text("entry_date", 40))
    except RecordInvalid as exc:
        db.session.rollback()
        return _household_with_errors(id, {f"member.{k}": v for k, v in exc.errors.items()})
    db.session.commit()
    flash("Household member added.", "success")
    return redirect(url_for("records.household", id=id), code=303)


@bp.post("/enrollments/<int:id>/services")
def service_post(id: int):
    actor = current_actor()
    enrollment = _enrollment_or_404(id)
    token = request.form.get("token")
    done = _already_done(token)
    if done:
        return done
    member = _enrollment_or_404(request.form.get("member", type=int) or 0)
    if member.household_id != enrollment.household_id:
        abort(404)
    try:
        record_service(actor, member, _form_text("record_type", 10), _form_text("type_provided", 10),
                       _form_text("date_provided", 40))
    except RecordInvalid as exc:
        db.session.rollback()
        return _household_with_errors(id, {f"service.{k}": v for k, v in exc.errors.items()})
    result = url_for("records.household", id=id)
    lost = _commit_once(token, result)
    if lost:
        return lost
    flash("Service recorded.", "success")
    return redirect(result, code=303)


@bp.get("/service-types")
def service_types():
    """The TypeProvided choices for a RecordType (htmx swaps them in when the record type changes)."""
    from ..hud import SPEC, codelists

    column = SPEC["Services"].column("TypeProvided")
    list_id = codelists.list_for(column, {"RecordType": request.args.get("record_type", "")})
    return render_template("records/_type_options.html", options=choices(list_id) if list_id else [])


@bp.post("/enrollments/<int:id>/living-situation")
def living_situation_post(id: int):
    """A contact's current living situation, through the CLS form(s) the rules apply."""
    actor = current_actor()
    enrollment = _enrollment_or_404(id)
    token = request.form.get("token")
    done = _already_done(token)
    if done:
        return done
    member = _enrollment_or_404(request.form.get("member", type=int) or 0)
    if member.household_id != enrollment.household_id or member.project_id != enrollment.project_id:
        abort(404)
    project = db.session.scalar(select(Project).where(Project.data_source_id == member.data_source_id,
                                                      Project.project_id == member.project_id))
    try:
        living_situation.record(actor, project, member, request.form)
    except living_situation.NotRecorded as exc:
        db.session.rollback()
        return _household_page(id, {"cls": "not recorded"}, 422, cls_entries=exc.entries)
    except forms.FormNotPublished as exc:
        db.session.rollback()
        return _form_missing(exc)
    result = url_for("records.household", id=id)
    lost = _commit_once(token, result)
    if lost:
        return lost
    flash("Current living situation recorded.", "success")
    return redirect(result, code=303)


# -- bed nights for a whole shelter night ---------------------------------------------------------

@bp.route("/projects/<int:id>/bed-nights", methods=["GET", "POST"])
def bed_nights(id: int):
    actor = current_actor()
    project = db.get_or_404(Project, id)
    night = (request.values.get("night") or date.today().isoformat())[:10]
    open_rows = db.session.scalars(visible_enrollments(actor, select(Enrollment).where(
        Enrollment.data_source_id == project.data_source_id, Enrollment.project_id == project.project_id,
        Enrollment.date_deleted.is_(None))).order_by(Enrollment.household_id, Enrollment.relationship_to_hoh)).all()
    open_rows = [e for e in open_rows if exit_of(e) is None]
    errors: dict[str, str] = {}
    if request.method == "POST":
        chosen = {int(v) for v in request.form.getlist("enrollment") if v.isdigit()}
        try:
            result = record_bed_nights(actor, [e for e in open_rows if e.id in chosen], night)
        except RecordInvalid as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            db.session.commit()
            flash(f"Bed night {night} recorded for {len(result['recorded'])}; "
                  f"{len(result['already'])} already had it.", "success")
            return redirect(url_for("records.bed_nights", id=id, night=night), code=303)
    had = set(db.session.scalars(select(Services.enrollment_id).where(
        Services.data_source_id == project.data_source_id, Services.record_type == BED_NIGHT,
        Services.date_provided == _safe_date(night), Services.date_deleted.is_(None),
        Services.enrollment_id.in_([e.enrollment_id for e in open_rows]))))
    people = _people(open_rows)
    return render_template("records/bed_nights.html", project=project, rows=open_rows, people=people,
                           names=policy.display_names(actor, people.values()), night=night, had=had,
                           errors=errors), 422 if errors else 200


def _safe_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


# -- assessments through the forms engine ---------------------------------------------------------

@bp.route("/enrollments/<int:id>/assessment/<stage>", methods=["GET", "POST"])
def assessment(id: int, stage: str):
    if stage not in STAGES:
        abort(404)
    return assessment_screen.handle(id, stage, STAGES[stage])  # its page query checks what _enrollment_or_404 does


# -- template helpers ---------------------------------------------------------------------------

@bp.app_template_global()
def error_links(entries) -> list:
    """The error summary's lines for a page of forms-engine forms (:mod:`hmis.web.error_summary`)."""
    from ..web.error_summary import page_error_links

    return page_error_links(entries)


@bp.app_template_global()
def hud_choices(list_id: str) -> list[tuple[int, str]]:
    """A HUD code list's FY2026 (code, label) pairs, for a select."""
    return choices(list_id)


@bp.app_template_global()
def race_choices() -> list[tuple[str, str]]:
    """(Client column, label) of each HUD race and ethnicity (3.04), as the client page shows them."""
    from ..web.pages import RACE_FIELDS

    return list(RACE_FIELDS)


@bp.app_template_global()
def service_label(service: Services) -> str:
    """The TypeProvided label of a service, from the list its RecordType picks."""
    from ..hud import SPEC, codelists

    list_id = codelists.list_for(SPEC["Services"].column("TypeProvided"), {"RecordType": service.record_type})
    return (codelists.label(list_id, service.type_provided) if list_id else None) or str(service.type_provided)
