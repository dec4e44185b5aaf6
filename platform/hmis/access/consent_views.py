"""Consent / release-of-information screens for one client: list, record, revoke; restriction.

Thin views over :mod:`hmis.access.consent`; every rule (who may see or change what)
lives there and in :mod:`hmis.access.policy`.
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import BooleanField, DateField, RadioField, SelectField, SelectMultipleField, StringField, SubmitField, \
    TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from ..extensions import db
from ..models import Client, Organization
from ..web.auth import current_actor
from . import audit, consent, policy

bp = Blueprint("consents", __name__, template_folder="templates")


def _choices(labels: dict[str, str], empty: str | None = None) -> list[SelectChoice]:
    first = [SelectChoice("", empty)] if empty is not None else []
    return first + [SelectChoice(value, label) for value, label in labels.items()]


class ConsentForm(FlaskForm):
    status = RadioField("The client", choices=_choices(consent.STATUSES), default="granted",
                        validators=[InputRequired()])
    organizations = SelectMultipleField("Share with these organizations", coerce=int, validators=[Optional()])
    all_organizations = BooleanField("Share with every participating organization")
    start_date = DateField("Starts", validators=[InputRequired()], default=date.today)
    end_date = DateField("Ends (last day; leave empty until revoked)", validators=[Optional()])
    documentation = SelectField("Documented by", choices=_choices(consent.DOCUMENTATION, "Choose…"),
                                validators=[InputRequired()])
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=consent.MAX_NOTES)])
    submit = SubmitField("Record consent")


class RevokeForm(FlaskForm):
    reason = StringField("Reason (optional)", validators=[Optional(), Length(max=consent.MAX_REASON)])
    submit = SubmitField("Revoke")


class RestrictionForm(FlaskForm):
    reason = SelectField("Restriction", choices=_choices(consent.RESTRICTION_REASONS, "Not restricted"),
                         validators=[Optional()])
    submit = SubmitField("Save restriction")


def _organization_choices() -> list[SelectChoice]:
    rows = db.session.execute(select(Organization.id, Organization.organization_name)
                              .where(Organization.date_deleted.is_(None))
                              .order_by(func.lower(Organization.organization_name), Organization.id)).all()
    return [SelectChoice(i, name or f"Organization {i}") for i, name in rows]


def _page(person: Client, form: ConsentForm, status: int = 200):
    actor = current_actor()
    consents = consent.list_consents(actor, person)
    restriction_form = RestrictionForm(prefix="restriction")
    restricted = policy.is_restricted(person)
    if restricted and not restriction_form.is_submitted():
        from ..models.privacy import ClientRestriction

        restriction_form.reason.data = db.session.scalar(
            select(ClientRestriction.reason).where(ClientRestriction.client_id == person.id))
    may_change = policy.has_full_access(actor) or policy.serves_client(actor, person)
    audit.record("consent.view", subject_type="client", subject_id=person.id)
    db.session.commit()
    return render_template("access/consents.html", person=person, name=policy.display_name(actor, person),
                           consents=consents, form=form, revoke_form=RevokeForm(prefix="revoke"),
                           restriction_form=restriction_form, restricted=restricted,
                           may_change=may_change and actor.can("consents.edit"),
                           may_restrict=may_change and actor.can("clients.edit"),
                           documentation=consent.DOCUMENTATION, statuses=consent.STATUSES), status


@bp.get("/clients/<int:id>/consents")
def index(id: int):
    person = db.get_or_404(Client, id)
    form = ConsentForm()
    form.organizations.choices = _organization_choices()
    return _page(person, form)


@bp.post("/clients/<int:id>/consents")
def create(id: int):
    person = db.get_or_404(Client, id)
    form = ConsentForm()
    form.organizations.choices = _organization_choices()
    if form.validate_on_submit():
        try:
            consent.record_consent(
                current_actor(), person, status=form.status.data, start_date=form.start_date.data,
                end_date=form.end_date.data, organization_ids=form.organizations.data or (),
                all_organizations=form.all_organizations.data, documentation=form.documentation.data,
                notes=(form.notes.data or "").strip())
        except consent.ConsentError as exc:
            db.session.rollback()
            for name, message in exc.errors.items():
                target = getattr(form, name, None)
                if target is not None and hasattr(target, "errors"):
                    target.errors = list(target.errors or ()) + [message]
                else:
                    flash(message, "error")
        else:
            db.session.commit()
            flash("Consent recorded.", "success")
            return redirect(url_for("consents.index", id=person.id))
    return _page(person, form, 400)


@bp.post("/consents/<int:consent_id>/revoke")
def revoke(consent_id: int):
    from ..models.privacy import Consent

    row = db.get_or_404(Consent, consent_id)
    form = RevokeForm(prefix="revoke")
    if not form.validate_on_submit():
        flash("The reason is too long.", "error")
        return redirect(url_for("consents.index", id=row.client_id))
    try:
        consent.revoke_consent(current_actor(), consent_id, (form.reason.data or "").strip())
    except consent.ConsentError as exc:
        db.session.rollback()
        flash(" ".join(exc.errors.values()), "error")
    else:
        db.session.commit()
        flash("Consent revoked: it no longer shares anything.", "success")
    return redirect(url_for("consents.index", id=row.client_id))


@bp.post("/clients/<int:id>/restriction")
def restriction(id: int):
    person = db.get_or_404(Client, id)
    form = RestrictionForm(prefix="restriction")
    if form.validate_on_submit():
        try:
            consent.set_restriction(current_actor(), person, form.reason.data or None)
        except consent.ConsentError as exc:
            db.session.rollback()
            flash(" ".join(exc.errors.values()), "error")
        else:
            db.session.commit()
            flash("Restriction saved.", "success")
    return redirect(url_for("consents.index", id=person.id))
