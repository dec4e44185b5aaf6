"""The intake page's lighter GET and the re-evaluation's kept work give what they gave:
the page reads only the columns it shows (and nothing more is loaded later), a returning
actor's page query is the same statement object, and the evaluation's plan and kept rule
outcomes give exactly what a walk of every item with every rule run gives."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy import event
from werkzeug.datastructures import MultiDict

from hmis.access.operations import Actor, system_actor
from hmis.definitions.sync import sync_folder
from hmis.extensions import db
from hmis.forms import logic
from hmis.forms.compile import compile_body
from hmis.forms.context import FormContext
from hmis.forms.fragments import shipped_folder
from hmis.forms.loading import load
from hmis.forms.logic import evaluate_form
from hmis.forms.read import read
from hmis.forms.rules import rules_file
from hmis.forms import sharing
from hmis.forms.sharing import with_visible_column
from hmis.models.privacy import AccountOrganization
from hmis.records import assessment_screen
from hmis.records.clients import create_client
from hmis.records.households import enroll_household

from ..records.conftest import make_organization, make_project
from .sample import FORM, GOOD_ANSWERS, INCOME_FRAGMENT
from .test_engine import resolver
from .test_speed_reevaluation import REPEATS


@pytest.fixture
def household(app, client, make_account):
    """A head of household, a partner and a child enrolled together; their case manager signed in."""
    assert sync_folder(shipped_folder()).ok
    sync_folder(rules_file().parent)
    org = make_organization()
    project = make_project(org)
    account = make_account(email="cm@example.org", role="case_manager")
    db.session.add(AccountOrganization(account_id=account.id, organization_id=org.id))
    people = [("Rosa", "1985-04-01", 1), ("Juan", "1983-02-11", 3), ("Luis", "2012-09-12", 2)]
    members = [(create_client(system_actor(), {"first_name": first, "last_name": "Diaz", "dob": dob,
                                               "ssn": "123456789"}, organization_id=org.id), relationship)
               for first, dob, relationship in people]
    enrollments = enroll_household(system_actor(), project, members, "2026-01-05")
    db.session.commit()
    client.post("/sign-in", data={"email": "cm@example.org", "password": "correct horse battery"})
    return enrollments


def _statements(client, path: str) -> tuple[list[str], object]:
    seen: list[str] = []

    def note(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return seen, response


def test_the_intake_page_reads_only_the_columns_it_shows_and_nothing_later(household, client):
    path = f"/records/enrollments/{household[0].id}/assessment/project_start"
    client.get(path)  # the forms compiled and the rules read once, as a running server has them
    statements, response = _statements(client, path)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for name in ("Rosa Diaz", "Juan Diaz", "Luis Diaz"):
        assert name in html
    # The sign-in's account, the household, its saved responses (and the published versions
    # when the transaction has not read them): nothing loaded later for a column left out.
    assert len(statements) <= 4, statements
    later = [s for s in statements if "AS asked" not in s
             and s.startswith(("SELECT enrollment.", "SELECT client.", "SELECT project."))]
    assert not later
    page_query = next(s for s in statements if "JOIN enrollment AS asked" in s)
    for wide in ("client.ssn", "enrollment.date_created", "enrollment.income_from_any_source", "project.project_name"):
        assert wide not in page_query
    for needed in ("enrollment.relationship_to_hoh", "client.first_name", "client.dob", "project.project_type"):
        assert needed in page_query


def test_a_save_still_reads_the_enrollments_whole(household):
    actor = system_actor()
    shown = assessment_screen._household_page(household[0].id, "project_start", actor, shown_only=True)
    whole = assessment_screen._household_page(household[0].id, "project_start", actor)
    assert [e.id for e in shown.members] == [e.id for e in whole.members] == [e.id for e in household]
    assert "date_created" in vars(whole.members[0])


def test_the_same_actor_gets_the_same_page_statement_and_another_actor_another(household):
    statement = assessment_screen._household_statement(True)
    first = with_visible_column(statement, Actor(account_id=1, role="case_manager", organization_ids=frozenset({7})))
    again = with_visible_column(statement, Actor(account_id=1, role="case_manager", organization_ids=frozenset({7})))
    other = with_visible_column(statement, Actor(account_id=2, role="case_manager", organization_ids=frozenset({8})))
    assert first is again
    assert other is not first
    assert sorted(map(repr, other.compile().params.values())) != sorted(map(repr, first.compile().params.values()))


def test_the_page_of_another_agencys_case_manager_is_still_refused(household, client, make_account):
    path = f"/records/enrollments/{household[0].id}/assessment/project_start"
    assert client.get(path).status_code == 200  # the first actor's statement is kept
    other_org = make_organization("LO2", "Other Agency")
    db.session.commit()
    make_account(email="other@example.org", role="case_manager", organizations=[other_org.id])
    client.post("/sign-out")
    client.post("/sign-in", data={"email": "other@example.org", "password": "correct horse battery"})
    assert client.get(path).status_code == 404
    assert len({key[1:] for key in sharing._WITH_VISIBLE}) >= 2  # one statement per condition


# -- the evaluation's plan and kept outcomes --------------------------------------------------------

def _walked(form, context, answers) -> logic.Evaluated:
    """What evaluate_form gives, the plain way: every item visited, every rule run."""
    out = logic.Evaluated(values=dict(answers))
    today = date.today()
    env = dict(context.names())
    for item in form.all_items:
        env[item.id] = logic.expression_value(item, answers.get(item.id))
    original = logic._run_kept
    logic._run_kept = logic._run
    try:
        logic._visit(form.items, True, logic.applying_items(form, context), env, today, out, "")
    finally:
        logic._run_kept = original
    out.env = env
    return out


CONTEXTS = [dict(relationship_to_hoh=1, age=40, is_veteran=False), dict(relationship_to_hoh=2, age=8),
            dict(relationship_to_hoh=1, age=70, is_veteran=True), dict()]


def _same(form, answers) -> None:
    for facts in CONTEXTS:
        context = FormContext(stage="project_start", information_date=date(2026, 10, 1), **facts)
        expected = _walked(form, context, answers)
        for _ in range(2):  # worked out, then from what was kept
            found = evaluate_form(form, context, answers)
            assert (found.shown, found.values, found.runtime, found.env) == (
                expected.shown, expected.values, expected.runtime, expected.env), (form.key, facts, answers)


def test_the_sample_form_evaluates_as_a_plain_walk():
    form = compile_body(yaml.safe_load(FORM), "test-intake", resolver(INCOME_FRAGMENT))
    for posted in (GOOD_ANSWERS, {}, {"income_any": "0"}, {**GOOD_ANSWERS, "household_size": "0"},
                   {"income_any": "1", "earned": "0"}):
        answers = read(form, MultiDict(posted), FormContext(stage="project_start")).answers
        _same(form, answers)


def test_a_rule_that_divides_by_zero_warns_every_time_it_is_kept():
    form = compile_body(yaml.safe_load(FORM), "test-intake", resolver(INCOME_FRAGMENT))
    context = FormContext(stage="project_start")
    answers = read(form, MultiDict({**GOOD_ANSWERS, "household_size": "0"}), context).answers
    first = evaluate_form(form, context, answers).runtime
    assert first and evaluate_form(form, context, answers).runtime == first
    assert not evaluate_form(form, context, read(form, MultiDict(GOOD_ANSWERS), context).answers).runtime


def test_repeating_rows_and_calculations_evaluate_as_a_plain_walk():
    form = compile_body(yaml.safe_load(REPEATS), "speed-repeats", resolver())
    rows = [{"pet_kind": "dog", "pet_age": 3}, {"pet_kind": "cat", "pet_age": 1}]
    for answers in ({}, {"has_pets": True}, {"has_pets": True, "pets": rows}, {"has_pets": False, "pets": rows},
                    {"count": 3}, {"count": 2}, {"count": 3, "has_pets": True, "pets": rows[:1]}):
        _same(form, answers)
    assert evaluate_form(form, FormContext(), {"count": 3}).values["twice"] == 6
    assert evaluate_form(form, FormContext(), {"count": 1}).values["twice"] == 2  # a new value, not the kept one


def test_a_kept_outcome_tells_apart_values_that_compare_equal():
    form = compile_body(yaml.safe_load("""
id: speed-kinds
kind: form
title: Kinds
items:
  - {id: n, type: integer, label: N}
  - {id: big, type: text, label: Big, relevant: n > 1}
"""), "speed-kinds", resolver())
    assert "big" in evaluate_form(form, FormContext(), {"n": 2}).shown
    assert "big" not in evaluate_form(form, FormContext(), {"n": 1}).shown
    # true = 1 in Python, but the rule cannot compare true with a number: not the kept outcome of 1.
    assert "big" in evaluate_form(form, FormContext(), {"n": True}).runtime


def test_no_text_or_date_answer_is_kept_across_requests():
    form = compile_body(yaml.safe_load("""
id: speed-private
kind: form
title: Private
items:
  - {id: nickname, type: text, label: Nickname}
  - {id: born, type: date, label: Born}
  - {id: n, type: integer, label: N}
  - {id: a, type: text, label: A, relevant: "nickname = 'Ana'"}
  - {id: b, type: text, label: B, relevant: "born < date('2000-01-01')"}
  - {id: c, type: text, label: C, relevant: n > 1}
"""), "speed-private", resolver())
    found = evaluate_form(form, FormContext(), {"nickname": "Ana", "born": date(1990, 5, 1), "n": 2})
    assert {"a", "b", "c"} <= found.shown
    kept = [key for item in form.all_items for name, entry in item.render_cache.items()
            if isinstance(name, tuple) and name[0] == "outcomes" for key in entry[2]]
    assert kept and all(not isinstance(part, tuple) or part[0] not in (str, date) for key in kept for part in key)
    assert "a" not in evaluate_form(form, FormContext(), {"nickname": "Bo", "n": 2}).shown  # still right


@pytest.mark.parametrize("answers", [
    {},
    {"living_situation": 116, "length_of_stay": 5, "times_homeless": 4, "months_homeless": 113,
     "disabling_condition": 1},
    {"living_situation": 101, "length_of_stay": 2, "income_any": 1, "earned": 1},
    {"living_situation": 215, "length_of_stay": 10, "los_under_threshold": 1, "previous_street_essh": 1,
     "disabling_condition": 0, "domestic_violence": 1, "currently_fleeing": 1},
])
def test_every_shipped_form_evaluates_as_a_plain_walk(app, answers):
    assert sync_folder(shipped_folder()).ok
    forms = []
    for path in sorted(Path(shipped_folder()).glob("*.yaml")):
        body = yaml.safe_load(path.read_text())
        if body.get("kind") == "form" and not body.get("fragment"):
            forms.append(load(body["id"]))
    assert len(forms) >= 5
    for form in forms:
        _same(form, {key: value for key, value in answers.items() if key in form.by_id})
