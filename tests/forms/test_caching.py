"""The per-request shortcuts of the intake page give the same answers as the slow way:
batched contexts, the published-form and form-rules caches, the cached choice markup."""
from __future__ import annotations

from datetime import date

from hmis import forms
from hmis.access.operations import Actor
from hmis.definitions import service
from hmis.extensions import db
from hmis.forms.responses import save_response
from hmis.forms.rules import load_rules
from hmis.models import Client, Enrollment, Funder

from .sample import FORM, GOOD_ANSWERS, INCOME_FRAGMENT

STAFF = Actor(account_id=None, role="hmis_lead", name="Casey Manager")


def _add_member(head: Enrollment, n: int, *, dob: date | None, relationship: int, entry: date) -> Enrollment:
    db.session.add(Client(data_source_id=head.data_source_id, personal_id=f"M{n}", first_name="Kid", last_name="Ruiz",
                          dob=dob, veteran_status=None))
    member = Enrollment(data_source_id=head.data_source_id, enrollment_id=f"ME{n}", personal_id=f"M{n}",
                        project_id=head.project_id, entry_date=entry, household_id=head.household_id,
                        relationship_to_hoh=relationship)
    db.session.add(member)
    db.session.commit()
    return member


def test_contexts_for_a_household_equal_each_members_own_context(publish_form, make_enrollment):
    publish_form(INCOME_FRAGMENT)
    publish_form(FORM)
    head = make_enrollment(funders=(2, 33), dob=date(1980, 5, 1), entry=date(2026, 10, 1))
    # A funder that ends before the child's later entry: the funders are worked out per member's date.
    db.session.add(Funder(data_source_id=head.data_source_id, funder_id="F-old", project_id=head.project_id,
                          funder=21, start_date=date(2020, 1, 1), end_date=date(2026, 10, 15)))
    db.session.commit()
    child = _add_member(head, 1, dob=date(2015, 1, 2), relationship=2, entry=date(2026, 11, 1))
    unknown = _add_member(head, 2, dob=None, relationship=3, entry=date(2026, 10, 1))
    form = forms.load("test-intake")
    save_response(STAFF, form, forms.context_for(head, "project_start"), GOOD_ANSWERS, submit=True)
    db.session.commit()

    members = [head, child, unknown]
    batched = forms.contexts_for(members, "annual")
    one_by_one = [forms.context_for(member, "annual") for member in members]
    assert batched == one_by_one
    assert [c.funders for c in batched] == [[2, 21, 33], [2, 33], [2, 21, 33]]
    assert batched[0].previous and batched[0].previous == forms.context.previous_answers(head)
    assert batched[1].previous == {} and batched[2].age is None


def test_a_republished_fragment_is_seen_by_the_next_load(publish_form):
    publish_form(INCOME_FRAGMENT)
    publish_form(FORM)
    first = forms.load("test-intake")
    assert forms.load("test-intake") is first  # compiled once, reused
    publish_form(INCOME_FRAGMENT.replace("Earned income amount", "Wages per month"))
    second = forms.load("test-intake")
    assert second is not first
    assert second.by_id["earned_amount"].label() == "Wages per month"
    assert first.by_id["earned_amount"].label() == "Earned income amount"


def test_a_republished_form_is_seen_by_the_next_load(publish_form):
    publish_form(INCOME_FRAGMENT)
    publish_form(FORM)
    first = forms.load("test-intake")
    publish_form(FORM.replace("Project start date", "Date the project started"))
    second = forms.load("test-intake")
    assert second.version == first.version + 1
    assert second.by_id["entry_date"].label() == "Date the project started"


def test_published_form_rules_are_reparsed_when_a_new_version_is_published(app):
    body = {"id": "form-rules", "kind": "admin", "title": "Form rules",
            "rules": [{"id": "everyone", "stage": "project_start", "form": "hud-intake"}]}
    import yaml

    version = service.save_draft("admin", "form-rules", yaml.safe_dump(body))
    service.publish(version.id)
    db.session.commit()
    assert [(r.id, r.form) for r in load_rules()] == [("everyone", "hud-intake")]
    assert load_rules() is not load_rules()  # each caller gets its own list
    body["rules"].append({"id": "local", "stage": "project_start", "form": None, "slot": "local"})
    version = service.save_draft("admin", "form-rules", yaml.safe_dump(body))
    service.publish(version.id)
    db.session.commit()
    assert [r.id for r in load_rules()] == ["everyone", "local"]


def test_choice_labels_follow_the_language(publish_form, make_enrollment):
    publish_form(INCOME_FRAGMENT)
    publish_form(FORM)
    form = forms.load("test-intake")
    enrollment = make_enrollment()
    english = str(forms.render(form, forms.context_for(enrollment, "project_start")))
    spanish = str(forms.render(form, forms.context_for(enrollment, "project_start", language="es")))
    assert "Dog" in english and "Perro" not in english
    assert "Perro" in spanish


def test_a_form_published_in_the_same_transaction_is_seen_by_the_next_load(publish_form):
    publish_form(INCOME_FRAGMENT)
    publish_form(FORM)
    first = forms.load("test-intake")
    assert forms.load("test-intake") is first  # the published versions are read once per transaction ...
    version = service.save_draft("form", "test-intake", FORM.replace("Project start date", "Started on"))
    service.publish(version.id)  # ... and again once something was flushed: nothing committed yet
    second = forms.load("test-intake")
    assert second is not first and second.by_id["entry_date"].label() == "Started on"
    db.session.rollback()
    assert forms.load("test-intake").by_id["entry_date"].label() == "Project start date"
