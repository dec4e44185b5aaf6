"""Saving responses on both databases: HUD rows written whole or not at all, versions
remembered, concurrent and double saves handled."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from hmis import forms
from hmis.access.operations import Actor, PermissionDenied, system_actor
from hmis.custom_data import values_for
from hmis.extensions import db
from hmis.forms.responses import ConcurrentEditError, FormInvalid, save_response
from hmis.models import AuditEvent, Disabilities, IncomeBenefits
from hmis.models.forms import FormResponse

from .sample import FORM, GOOD_ANSWERS, INCOME_FRAGMENT

STAFF = Actor(account_id=None, role="hmis_lead", name="Casey Manager")
OTHER = Actor(account_id=None, role="hmis_lead", name="Olive Other")


@pytest.fixture
def intake(publish_form):
    publish_form(INCOME_FRAGMENT)
    publish_form(FORM)
    return forms.load("test-intake")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_submit_writes_hud_rows_custom_data_and_audit(intake, make_enrollment):
    enrollment = make_enrollment()
    context = forms.context_for(enrollment, "project_start")
    response = save_response(STAFF, intake, context, GOOD_ANSWERS, submit=True)
    db.session.commit()

    assert response.status == "submitted" and response.definition_version_id == intake.version_id
    assert response.fragment_versions == intake.fragment_versions != {}
    income = db.session.scalars(select(IncomeBenefits)).one()
    assert (income.income_from_any_source, income.earned, income.earned_amount) == (1, 1, Decimal("1200.50"))
    assert (income.data_collection_stage, income.information_date) == (1, date(2026, 10, 1))
    assert income.enrollment_id == enrollment.enrollment_id and income.user_id and income.date_created
    disability = db.session.scalars(select(Disabilities)).one()
    assert (disability.disability_type, disability.disability_response, disability.data_collection_stage) == (5, 1, 1)
    assert enrollment.living_situation == 116
    assert values_for("enrollment", enrollment.id) == {"test_household_size": 2, "test_pet": "dog",
                                                       "test_notes": "Ok"}
    actions = db.session.execute(select(AuditEvent.action, AuditEvent.subject_type)).all()
    assert ("record.create", "IncomeBenefits") in actions and ("record.update", "Enrollment") in actions


def test_submitting_with_errors_writes_nothing(intake, make_enrollment):
    context = forms.context_for(make_enrollment(), "project_start")
    with pytest.raises(FormInvalid) as raised:
        save_response(STAFF, intake, context, dict(GOOD_ANSWERS, entry_date="", notes="\x07"), submit=True)
    assert set(raised.value.submission.errors) == {"entry_date", "notes"}
    db.session.rollback()
    assert count(FormResponse) == count(IncomeBenefits) == count(Disabilities) == 0


def test_a_draft_saves_with_errors_and_reaches_no_hud_table(intake, make_enrollment):
    context = forms.context_for(make_enrollment(), "project_start")
    response = save_response(STAFF, intake, context, dict(GOOD_ANSWERS, entry_date="soon"), submit=False)
    db.session.commit()
    assert response.status == "draft" and response.answers["earned_amount"] == "1200.50"
    assert count(IncomeBenefits) == 0


def test_the_second_of_two_concurrent_saves_is_told_and_nothing_is_overwritten(intake, make_enrollment):
    context = forms.context_for(make_enrollment(), "project_start")
    draft = save_response(STAFF, intake, context, GOOD_ANSWERS, submit=False)
    db.session.commit()
    opened_at = draft.revision
    save_response(STAFF, intake, context, dict(GOOD_ANSWERS, notes="first"), submit=False, response_id=draft.id,
                  expected_revision=opened_at)
    db.session.commit()
    with pytest.raises(ConcurrentEditError) as raised:
        save_response(OTHER, intake, context, dict(GOOD_ANSWERS, notes="second"), submit=False,
                      response_id=draft.id, expected_revision=opened_at)
    assert "Casey Manager saved this form" in str(raised.value)
    db.session.rollback()
    assert db.session.get(FormResponse, draft.id).answers["notes"] == "first"


def test_a_double_submit_writes_once_and_a_correction_updates_the_same_rows(intake, make_enrollment):
    context = forms.context_for(make_enrollment(), "project_start")
    draft = save_response(STAFF, intake, context, GOOD_ANSWERS, submit=False)
    db.session.commit()
    for _ in range(2):  # the same click, twice
        save_response(STAFF, intake, context, GOOD_ANSWERS, submit=True, response_id=draft.id,
                      expected_revision=1)
        db.session.commit()
    assert count(IncomeBenefits) == 1 and count(Disabilities) == 1
    save_response(STAFF, intake, context, dict(GOOD_ANSWERS, earned_amount="900"), submit=True,
                  response_id=draft.id, expected_revision=2)
    db.session.commit()
    assert db.session.scalars(select(IncomeBenefits.earned_amount)).all() == [Decimal("900.00")]


def test_a_response_renders_under_the_version_it_was_entered_with(intake, make_enrollment, publish_form):
    context = forms.context_for(make_enrollment(), "project_start")
    response = save_response(STAFF, intake, context, GOOD_ANSWERS, submit=True)
    db.session.commit()
    publish_form(FORM.replace("Prior living situation", "Where did you stay last night"))
    assert "Where did you stay" in str(forms.render(forms.load("test-intake"), context))
    from hmis.forms.responses import open_response

    saved, old, values = open_response(response.id)
    assert saved.id == response.id and values["earned_amount"] == Decimal("1200.50")
    html = str(forms.render(old, context, values=values))
    assert "Prior living situation" in html and "Where did you stay" not in html and 'value="1200.50"' in html


def test_prefill_from_the_previous_assessment(publish_form, make_enrollment):
    publish_form("""
    id: test-update
    kind: form
    title: Update
    items:
      - {id: phone, type: text, label: Phone, prefill: true, custom: test_phone}
      - {id: mood, type: text, label: Mood, default: fine, custom: test_mood}
    """)
    form = forms.load("test-update")
    enrollment = make_enrollment()
    save_response(STAFF, form, forms.context_for(enrollment, "update"), {"phone": "555-0100", "mood": "low"},
                  submit=True)
    db.session.commit()
    html = str(forms.render(form, forms.context_for(enrollment, "update")))
    assert 'value="555-0100"' in html and 'value="fine"' in html and 'value="low"' not in html


def test_saving_needs_the_permission(intake, make_enrollment):
    context = forms.context_for(make_enrollment(), "project_start")
    with pytest.raises(PermissionDenied):
        save_response(Actor(account_id=None, role="auditor"), intake, context, GOOD_ANSWERS, submit=True)


def test_load_refuses_an_unpublished_form(app):
    with pytest.raises(forms.FormNotPublished, match="no published version"):
        forms.load("never-published")


def test_context_for_reads_the_project_funders_and_age(make_enrollment):
    enrollment = make_enrollment(project_type=13, funders=(33, 2), dob=date(2010, 10, 2), relationship=2)
    context = forms.context_for(enrollment, "annual", information_date=date(2026, 10, 1))
    assert (context.project_type, context.funders, context.age, context.is_hoh) == (13, [2, 33], 15, False)


def test_system_actor_can_save(intake, make_enrollment):
    context = forms.context_for(make_enrollment(), "project_start")
    assert save_response(system_actor(), intake, context, GOOD_ANSWERS, submit=True).status == "submitted"


def test_a_form_cannot_publish_before_its_fragment(app):
    from hmis.definitions import DefinitionError, service

    service.save_draft("form", "fragment-test-income", INCOME_FRAGMENT)
    draft = service.save_draft("form", "test-intake", FORM)
    with pytest.raises(DefinitionError) as raised:
        service.publish(draft.id)
    assert any("has no published version yet" in p.message and p.line for p in raised.value.problems)


def test_publishing_a_broken_form_lists_every_problem_with_its_line(app):
    from hmis.definitions import DefinitionError, service

    text = FORM.replace("include: fragment-test-income", "include: fragment-missing").replace(
        "calculate: earned_amount / household_size", "calculate: earned_amount / househld_size")
    draft = service.save_draft("form", "test-intake", text)
    with pytest.raises(DefinitionError) as raised:
        service.publish(draft.id)
    messages = [(p.line, p.message) for p in raised.value.problems]
    assert len(messages) >= 2 and all(line for line, _ in messages)
    assert any("fragment-missing" in m for _, m in messages) and any("unknown name" in m for _, m in messages)
    assert service.published("form", "test-intake") is None


def test_a_second_intake_for_the_same_enrollment_is_refused_naming_the_first(intake, make_enrollment):
    context = forms.context_for(make_enrollment(), "project_start")
    save_response(STAFF, intake, context, GOOD_ANSWERS, submit=True)
    db.session.commit()
    with pytest.raises(ConcurrentEditError, match="Casey Manager already saved this form"):
        save_response(OTHER, intake, context, GOOD_ANSWERS, submit=True)
    db.session.rollback()
    assert count(IncomeBenefits) == 1 and count(FormResponse) == 1


def test_the_database_refuses_a_second_intake_even_past_the_check(intake, make_enrollment, monkeypatch):
    from hmis.forms import responses

    context = forms.context_for(make_enrollment(), "project_start")
    save_response(STAFF, intake, context, GOOD_ANSWERS, submit=False)
    db.session.commit()
    calls = []
    real = responses._refuse_second

    def racing(form, ctx):  # the other process's row is not visible yet at the first check
        calls.append(1)
        if len(calls) > 1:
            real(form, ctx)

    monkeypatch.setattr(responses, "_refuse_second", racing)
    with pytest.raises(ConcurrentEditError):
        save_response(OTHER, intake, context, GOOD_ANSWERS, submit=True)
    db.session.rollback()
    assert count(FormResponse) == 1 and count(IncomeBenefits) == 0


def test_a_submission_that_fails_part_way_leaves_nothing_even_if_the_caller_commits(publish_form, make_enrollment):
    publish_form("""
    id: test-mixed
    kind: form
    title: Mixed
    items:
      - {id: first_name, type: text, label: First name, hud: Client.FirstName}
      - {id: exit_date, type: date, label: Exit date, hud: Exit.ExitDate}
    """)
    enrollment = make_enrollment()
    context = forms.context_for(enrollment, "update")
    context.enrollment = None  # a profile-style context: the Exit cannot be written
    with pytest.raises(FormInvalid) as raised:
        save_response(STAFF, forms.load("test-mixed"), context, {"first_name": "Changed", "exit_date": "2026-11-01"},
                      submit=True)
    assert "belongs to an enrollment" in raised.value.submission.errors["_form"]
    db.session.commit()
    assert context.client.first_name == "Ana"
    assert count(FormResponse) == 0


def test_a_new_fragment_version_reaches_new_forms_but_not_old_responses(intake, make_enrollment, publish_form):
    context = forms.context_for(make_enrollment(), "project_start")
    response = save_response(STAFF, intake, context, GOOD_ANSWERS, submit=True)
    db.session.commit()
    assert "Earned income amount" in str(forms.render(forms.load("test-intake"), context))
    publish_form(INCOME_FRAGMENT.replace("Earned income amount", "Wages per month"))
    assert "Wages per month" in str(forms.render(forms.load("test-intake"), context))
    from hmis.forms.responses import open_response

    _, old, values = open_response(response.id)
    assert "Earned income amount" in str(forms.render(old, context, values=values))


def test_the_profile_form_updates_the_client_with_data_quality(publish_form, make_enrollment):
    publish_form("""
    id: test-profile
    kind: form
    title: Profile
    items:
      - {id: name, type: name, label: Name}
      - {id: dob, type: dob, label: Date of birth}
      - {id: veteran_status, type: choice, label: Veteran, hud: Client.VeteranStatus, about: adults}
    """)
    enrollment = make_enrollment()
    client = forms.context_for(enrollment, "profile").client
    context = forms.FormContext(client=client, stage="profile", age=46)
    save_response(STAFF, forms.load("test-profile"), context,
                  {"name.first": "Ana María", "name.last": "Ruiz", "name.quality": "1", "dob.dob": "1980-05-02",
                   "dob.quality": "1", "veteran_status": "1"}, submit=True)
    db.session.commit()
    assert (client.first_name, client.name_data_quality, client.dob, client.veteran_status) == (
        "Ana María", 1, date(1980, 5, 2), 1)
    update = db.session.scalars(select(AuditEvent).where(AuditEvent.subject_type == "client")).one()
    assert update.action == "record.update" and update.details["after"]["first_name"] == "Ana María"
    with pytest.raises(FormInvalid) as raised:
        save_response(STAFF, forms.load("test-profile"), forms.FormContext(stage="profile"),
                      {"name.first": "New", "name.quality": "2"}, submit=True)
    assert "find or create the client first" in raised.value.submission.errors["_form"]


def test_a_draft_finished_after_a_new_version_records_the_version_it_was_submitted_with(
        intake, make_enrollment, publish_form):
    context = forms.context_for(make_enrollment(), "project_start")
    draft = save_response(STAFF, intake, context, GOOD_ANSWERS, submit=False)
    db.session.commit()
    publish_form(FORM.replace("Prior living situation", "Where did you stay"))
    newer = forms.load("test-intake")
    submitted = save_response(STAFF, newer, context, GOOD_ANSWERS, submit=True, response_id=draft.id,
                              expected_revision=draft.revision)
    db.session.commit()
    assert submitted.definition_version_id == newer.version_id != intake.version_id
