"""Read-only pages over the HUD records: home, organizations, projects and clients.

List views follow one htmx pattern: the full page includes a ``_rows`` partial,
and the same view returns only that partial when htmx asks (search as you type,
paging), so there is one template and one query per list.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, url_for
from sqlalchemy import Select, and_, exists, func, or_, select

from ..access import audit
from ..db import contains_pattern
from ..extensions import db
from ..models import (
    Client,
    DataSource,
    Enrollment,
    Exit,
    Funder,
    ImportRun,
    Inventory,
    Organization,
    Project,
    ProjectCoC,
)

bp = Blueprint("pages", __name__, template_folder="templates")

#: HUD code list ids (FY2026 HMIS Data Dictionary).
PROJECT_TYPE = "2.02.6"
NO_YES_MISSING = "1.8"
FUNDER = "2.06.1"
HOUSEHOLD_TYPE = "2.07.4"
RELATIONSHIP_TO_HOH = "3.15.1"
DESTINATION = "3.12"

SEX = "3.06.1"
NAME_QUALITY = "3.01.5"
DOB_QUALITY = "3.03.3"

#: Client race and ethnicity columns (3.04), each 1 when it applies.
RACE_FIELDS = (
    ("am_ind_ak_native", "American Indian, Alaska Native, or Indigenous"),
    ("asian", "Asian or Asian American"),
    ("black_af_american", "Black, African American, or African"),
    ("hispanic_latinao", "Hispanic/Latina/e/o"),
    ("mid_east_n_african", "Middle Eastern or North African"),
    ("native_hi_pacific", "Native Hawaiian or Pacific Islander"),
    ("white", "White"),
)

MAX_QUERY_LENGTH = 200


def hud_label(list_id: str, code: Any) -> str:
    """Return the HUD label for ``code`` in list ``list_id``, or the code itself.

    The code lists module may be missing or may not know a code (an export can
    carry values from a newer data standard); the page still shows the raw value.
    """
    if code is None or code == "":
        return ""
    try:
        from ..hud import codelists
    except ImportError:
        return str(code)
    try:
        label = codelists.label(list_id, code)
    except (LookupError, ValueError, TypeError, AttributeError):
        label = None
    return str(label) if label not in (None, "") else str(code)


@bp.app_template_filter("hud_label")
def hud_label_filter(code: Any, list_id: str) -> str:
    return hud_label(list_id, code)


@bp.app_template_filter("date")
def format_date(value: Any) -> str:
    """Show dates as 2024-03-01 and datetimes to the minute; missing values as empty."""
    if value is None:
        return ""
    if hasattr(value, "hour"):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.strftime("%Y-%m-%d")


@bp.app_template_filter("masked_ssn")
def masked_ssn(ssn: str | None) -> str:
    """Show only the last four digits (client.ssn holds just ``xxxxx1234``; the number is
    encrypted, see hmis.access.sensitive); never a hash or a partial value."""
    last4 = (ssn or "").replace("-", "").strip()[-4:]
    if ssn and len(ssn.replace("-", "").strip()) == 9 and last4.isdigit():
        return f"•••-••-{last4}"
    return "On file" if ssn else ""


@bp.app_template_filter("age")
def age_on(dob: date | None, on: date | None = None) -> int | None:
    """Whole years between ``dob`` and ``on`` (today by default)."""
    if dob is None:
        return None
    on = on or date.today()
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


@bp.app_template_global()
def list_url(endpoint: str, args: dict[str, Any], **overrides: Any) -> str:
    """``url_for`` with a list's current filters, leaving out empty ones (keeps URLs short)."""
    values = {**args, **overrides}
    return url_for(endpoint, **{k: v for k, v in values.items() if v not in (None, "")})


def wants_partial() -> bool:
    """True when htmx asks for a fragment (not when it restores history: that needs the page)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


def search_text() -> str:
    return request.args.get("q", "", type=str).strip()[:MAX_QUERY_LENGTH]


def paginate(statement: Select):
    return db.paginate(statement, per_page=current_app.config.get("PAGE_SIZE", 50), max_per_page=500,
                       error_out=False)


def _live(model):
    """Records not deleted in their source system."""
    return model.date_deleted.is_(None)


def _open_enrollment():
    """Enrollments with no live Exit row."""
    return ~exists().where(
        Exit.data_source_id == Enrollment.data_source_id,
        Exit.enrollment_id == Enrollment.enrollment_id,
        _live(Exit),
    )


def _exit_join():
    return and_(Exit.data_source_id == Enrollment.data_source_id,
                Exit.enrollment_id == Enrollment.enrollment_id, _live(Exit))


def _count(statement: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0


@bp.get("/")
def home():
    counts = {
        "organizations": _count(select(Organization.id).where(_live(Organization))),
        "projects": _count(select(Project.id).where(_live(Project))),
        "clients": _count(select(Client.id).where(_live(Client))),
        "enrollments": _count(select(Enrollment.id).where(_live(Enrollment))),
        "open_enrollments": _count(select(Enrollment.id).where(_live(Enrollment), _open_enrollment())),
    }
    recent_imports = db.session.scalars(select(ImportRun).order_by(ImportRun.created_dt.desc()).limit(5)).all()
    return render_template("pages/home.html", counts=counts, recent_imports=recent_imports)


# -- organizations -----------------------------------------------------------------------

@bp.get("/organizations")
def organizations():
    q = search_text()
    statement = select(Organization).where(_live(Organization)).order_by(
        func.lower(Organization.organization_name), Organization.id)
    if q:
        statement = statement.where(or_(Organization.organization_name.ilike(contains_pattern(q), escape="\\"),
                                        Organization.organization_common_name.ilike(contains_pattern(q), escape="\\"),
                                        Organization.organization_id == q))
    page = paginate(statement)
    project_counts = _project_counts(page.items)
    template = "pages/_organization_rows.html" if wants_partial() else "pages/organizations.html"
    return render_template(template, page=page, q=q, project_counts=project_counts,
                           sources=_source_names())


def _project_counts(orgs: list[Organization]) -> dict[int, int]:
    """Live projects per organization (by surrogate id) for one page of organizations."""
    if not orgs:
        return {}
    rows = db.session.execute(
        select(Organization.id, func.count(Project.id))
        .join(Project, and_(Project.data_source_id == Organization.data_source_id,
                            Project.organization_id == Organization.organization_id))
        .where(Organization.id.in_([o.id for o in orgs]), _live(Project))
        .group_by(Organization.id)
    ).all()
    return dict(rows)


def _source_names() -> dict[int, str]:
    """Data source names by id; there are a handful, so one query serves a whole page."""
    return dict(db.session.execute(select(DataSource.id, DataSource.name)).all())


@bp.get("/organizations/<int:id>")
def organization(id: int):
    org = db.get_or_404(Organization, id)
    source = db.session.get(DataSource, org.data_source_id)
    projects = db.session.scalars(
        select(Project)
        .where(Project.data_source_id == org.data_source_id, Project.organization_id == org.organization_id,
               _live(Project))
        .order_by(func.lower(Project.project_name))
    ).all()
    return render_template("pages/organization.html", org=org, source=source, projects=projects)


# -- projects ----------------------------------------------------------------------------

@bp.get("/projects")
def projects():
    q = search_text()
    organization_id = request.args.get("organization", type=int)
    project_type = request.args.get("type", type=int)
    statement = select(Project).where(_live(Project)).order_by(func.lower(Project.project_name), Project.id)
    if q:
        statement = statement.where(or_(Project.project_name.ilike(contains_pattern(q), escape="\\"),
                                        Project.project_common_name.ilike(contains_pattern(q), escape="\\"),
                                        Project.project_id == q))
    if organization_id:
        org = db.session.get(Organization, organization_id)
        statement = statement.where(Project.data_source_id == (org.data_source_id if org else -1),
                                    Project.organization_id == (org.organization_id if org else ""))
    if project_type is not None:
        statement = statement.where(Project.project_type == project_type)
    page = paginate(statement)
    orgs = _organizations_of(page.items)
    filters = {"q": q, "organization": organization_id, "type": project_type}
    if wants_partial():
        return render_template("pages/_project_rows.html", page=page, filters=filters, orgs=orgs)
    org_choices = db.session.execute(
        select(Organization.id, Organization.organization_name).where(_live(Organization))
        .order_by(func.lower(Organization.organization_name)).limit(1000)
    ).all()
    type_codes = db.session.scalars(
        select(Project.project_type).where(Project.project_type.is_not(None)).distinct().order_by(Project.project_type)
    ).all()
    type_choices = [(code, hud_label(PROJECT_TYPE, code)) for code in type_codes]
    return render_template("pages/projects.html", page=page, filters=filters, orgs=orgs,
                           org_choices=org_choices, type_choices=type_choices)


def _organizations_of(projects: list[Project]) -> dict[tuple[int, str], Organization]:
    """The organizations of one page of projects, keyed by (data_source_id, OrganizationID)."""
    keys = {(p.data_source_id, p.organization_id) for p in projects}
    if not keys:
        return {}
    orgs = db.session.scalars(
        select(Organization).where(or_(*[
            and_(Organization.data_source_id == ds, Organization.organization_id == oid) for ds, oid in keys
        ]))
    ).all()
    return {(o.data_source_id, o.organization_id): o for o in orgs}


@bp.get("/projects/<int:id>")
def project(id: int):
    proj = db.get_or_404(Project, id)
    org = db.session.scalar(select(Organization).where(Organization.data_source_id == proj.data_source_id,
                                                       Organization.organization_id == proj.organization_id))

    def children(model, order):
        return db.session.scalars(
            select(model)
            .where(model.data_source_id == proj.data_source_id, model.project_id == proj.project_id, _live(model))
            .order_by(order, model.id)
        ).all()

    page = paginate(
        select(Enrollment)
        .where(Enrollment.data_source_id == proj.data_source_id, Enrollment.project_id == proj.project_id,
               _live(Enrollment))
        .order_by(Enrollment.entry_date.desc(), Enrollment.id.desc())
    )
    people, exits = _enrollment_details(proj.data_source_id, page.items)
    if wants_partial():
        return render_template("pages/_project_enrollment_rows.html", proj=proj, page=page,
                               people=people, exits=exits)
    return render_template("pages/project.html", proj=proj, org=org, page=page, people=people, exits=exits,
                           funders=children(Funder, Funder.start_date),
                           cocs=children(ProjectCoC, ProjectCoC.coc_code),
                           inventory=children(Inventory, Inventory.inventory_start_date))


def _enrollment_details(data_source_id: int, enrollments: list[Enrollment]):
    """Clients (by PersonalID) and exits (by EnrollmentID) for one page of a project's enrollments."""
    if not enrollments:
        return {}, {}
    people = db.session.scalars(select(Client).where(
        Client.data_source_id == data_source_id,
        Client.personal_id.in_({e.personal_id for e in enrollments}))).all()
    exits = db.session.scalars(select(Exit).where(
        Exit.data_source_id == data_source_id, _live(Exit),
        Exit.enrollment_id.in_([e.enrollment_id for e in enrollments]))).all()
    return {c.personal_id: c for c in people}, {x.enrollment_id: x for x in exits}


# -- clients -----------------------------------------------------------------------------

def client_search(statement: Select, q: str) -> Select:
    """Match every word of ``q`` against a name part, or the whole of ``q`` against PersonalID.

    "smith jo" finds John Smith; "Smith, John" works too.
    """
    words = [w for w in q.replace(",", " ").split() if w][:5]
    name_match = and_(*[
        or_(Client.first_name.ilike(contains_pattern(w), escape="\\"), Client.last_name.ilike(contains_pattern(w), escape="\\"),
            Client.middle_name.ilike(contains_pattern(w), escape="\\"))
        for w in words
    ])
    return statement.where(or_(name_match, Client.personal_id == q))


@bp.get("/clients")
def clients():
    from ..records.visibility import visible_clients
    from .auth import current_actor

    q = search_text()
    statement = (
        visible_clients(current_actor(), select(Client)).where(_live(Client))
        .order_by(func.lower(Client.last_name), func.lower(Client.first_name), Client.id)
    )
    if q:
        statement = client_search(statement, q)
    page = paginate(statement)
    template = "pages/_client_rows.html" if wants_partial() else "pages/clients.html"
    return render_template(template, page=page, q=q, sources=_source_names())


@bp.get("/clients/<int:id>")
def client(id: int):
    from ..records.clients import get_client
    from ..records.visibility import visible_enrollments
    from .auth import current_actor

    actor = current_actor()
    person = get_client(actor, id)  # PermissionDenied (403) when another agency's and not shared
    if person is None:
        abort(404)
    source = db.session.get(DataSource, person.data_source_id)
    enrollments = db.session.execute(
        visible_enrollments(actor, select(Enrollment, Project, Exit))
        .join(Project, and_(Project.data_source_id == Enrollment.data_source_id,
                            Project.project_id == Enrollment.project_id))
        .outerjoin(Exit, _exit_join())
        .where(Enrollment.data_source_id == person.data_source_id, Enrollment.personal_id == person.personal_id,
               _live(Enrollment))
        .order_by(Enrollment.entry_date.desc(), Enrollment.id.desc())
    ).all()
    races = [label for column, label in RACE_FIELDS if getattr(person, column) == 1]
    audit.record("client.view", subject_type="client", subject_id=person.id, commit=True)
    return render_template("pages/client.html", person=person, source=source, enrollments=enrollments,
                           races=races)
