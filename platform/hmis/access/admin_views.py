"""User management screens: list, invite, and one account's role, organizations and status.

Thin views over :mod:`hmis.access.admin` (which checks who may manage whom). A new
invitation or reset link is shown once, on the response to the form, never stored
in a cookie or a log.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from ..extensions import db
from ..web.auth import current_actor
from . import admin, memberships, permissions, totp
from .accounts import AccountError

bp = Blueprint("access", __name__, template_folder="templates")


class InviteForm(FlaskForm):
    email = EmailField("Email", validators=[InputRequired(), Length(max=320)],
                       render_kw={"autocomplete": "off", "spellcheck": "false"})
    name = StringField("Name", validators=[InputRequired(), Length(max=200)])
    role = SelectField("Role", validators=[InputRequired()])
    organizations = SelectMultipleField("Organizations", coerce=int, validators=[Optional()])
    submit = SubmitField("Invite")


class AssignForm(FlaskForm):
    role = SelectField("Role", validators=[InputRequired()])
    organizations = SelectMultipleField("Organizations", coerce=int, validators=[Optional()])
    submit = SubmitField("Save role and organizations")


class ActionForm(FlaskForm):
    """A button (deactivate, reactivate, reset): only the CSRF token."""


def _choices(form, actor) -> None:
    form.role.choices = [SelectChoice(r, permissions.role_label(r)) for r in admin.assignable_roles(actor)]
    form.organizations.choices = [SelectChoice(o.id, o.organization_name or f"Organization {o.id}")
                                  for o in admin.assignable_organizations(actor)]


@bp.route("/accounts", methods=["GET", "POST"])
def accounts():
    actor = current_actor()
    search = (request.args.get("q") or "").strip()[:200]
    form = InviteForm()
    _choices(form, actor)
    issued = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                issued = admin.invite_account(actor, form.email.data, form.name.data, form.role.data,
                                              form.organizations.data or ())
            except AccountError as exc:
                db.session.rollback()
                form.email.errors = list(form.email.errors or ()) + [str(exc)]
                status = 400
            else:
                db.session.commit()
                form = InviteForm(formdata=None)
                _choices(form, actor)
        else:
            status = 400
    listed = admin.list_accounts(actor, search)
    orgs = memberships.organizations_by_account(a.id for a in listed)
    link = url_for("auth.set_password", token=issued.token, _external=True) if issued else None
    return render_template("access/accounts.html", accounts=listed, orgs=orgs, form=form, search=search,
                           issued=issued, link=link, role_label=permissions.role_label), status


@bp.route("/accounts/<int:account_id>", methods=["GET", "POST"])
def account(account_id: int):
    actor = current_actor()
    try:
        person = admin.get_account(actor, account_id)
    except AccountError:
        abort(404)
    form = AssignForm()
    _choices(form, actor)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                admin.assign(actor, account_id, form.role.data, form.organizations.data or ())
            except AccountError as exc:
                db.session.rollback()
                form.role.errors = list(form.role.errors or ()) + [str(exc)]
                status = 400
            else:
                db.session.commit()
                flash("Role and organizations saved.", "success")
                return redirect(url_for("access.account", account_id=account_id))
        else:
            status = 400
    else:
        form.role.data = person.role
        form.organizations.data = sorted(memberships.organization_ids(person.id))
    return _account_page(person, form, status=status)


def _account_page(person, form, link: str | None = None, status: int = 200):
    return render_template("access/account.html", person=person, form=form, action_form=ActionForm(), link=link,
                           organizations=memberships.organizations_by_account([person.id])[person.id],
                           two_factor=totp.enrolled(person), role_label=permissions.role_label), status


def _action(account_id: int, run, message: str):
    actor = current_actor()
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        run(actor)
    except AccountError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("access.account", account_id=account_id))


@bp.post("/accounts/<int:account_id>/deactivate")
def deactivate(account_id: int):
    return _action(account_id, lambda actor: admin.set_active(actor, account_id, False),
                   "Account deactivated: its sessions have ended.")


@bp.post("/accounts/<int:account_id>/reactivate")
def reactivate(account_id: int):
    return _action(account_id, lambda actor: admin.set_active(actor, account_id, True), "Account reactivated.")


@bp.post("/accounts/<int:account_id>/reset-two-factor")
def reset_two_factor(account_id: int):
    return _action(account_id, lambda actor: admin.reset_two_factor(actor, account_id),
                   "Two-factor sign-in reset: the person sets it up again at their next sign-in.")


@bp.post("/accounts/<int:account_id>/reset-password")
def reset_password(account_id: int):
    actor = current_actor()
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        issued = admin.reset_password(actor, account_id)
    except AccountError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("access.account", account_id=account_id))
    db.session.commit()
    form = AssignForm(formdata=None)
    _choices(form, actor)
    form.role.data = issued.account.role
    form.organizations.data = sorted(memberships.organization_ids(account_id))
    return _account_page(issued.account, form, link=url_for("auth.set_password", token=issued.token,
                                                              _external=True))
