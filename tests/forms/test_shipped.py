"""The shipped HUD forms: they validate, sync and publish, render for every stage and
kind of client, and an intake fills the HUD tables end to end; the form rules pick
the right forms and say why."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from hmis import forms
from hmis.access.operations import system_actor
from hmis.definitions import service
from hmis.definitions.files import check_files
from hmis.definitions.sync import sync_folder
from hmis.extensions import db
from hmis.forms.fragments import shipped_folder
from hmis.forms.responses import save_response
from hmis.forms.rules import applicable, load_rules, rules_file
from hmis.models import Disabilities, Exit, HealthAndDV, IncomeBenefits

FORMS = ("hud-intake", "hud-update", "hud-annual", "hud-exit", "hud-post-exit", "hud-client-profile",
         "hud-current-living-situation", "hud-services", "hud-bed-night", "hud-ce-assessment", "hud-ce-event",
         "local-housing-barriers")


def test_every_shipped_definition_is_valid_without_a_database():
    results = check_files([shipped_folder(), rules_file()])
    assert [(str(r.path), [str(p) for p in r.problems]) for r in results if not r.ok] == []
    keys = {r.key for r in results}
    assert set(FORMS) <= keys and "form-rules" in keys


def test_the_cli_validates_the_shipped_forms_and_rules():
    from click.testing import CliRunner

    from hmis.cli import cli

    result = CliRunner().invoke(cli, ["definitions", "validate", str(shipped_folder()), str(rules_file())])
    assert result.exit_code == 0, result.output
    assert "definitions valid" in result.output


def test_every_hud_form_has_spanish_labels():
    import yaml

    for key in FORMS:
        body = yaml.safe_load((shipped_folder() / f"{key}.yaml").read_text())
        assert "es" in body["languages"] and body["title_i18n"]["es"], key


@pytest.fixture
def synced(app):
    report = sync_folder(shipped_folder())
    assert report.ok, [(e.path.name, [str(p) for p in e.problems]) for e in report.entries if e.problems]
    sync_folder(rules_file().parent)
    db.session.commit()
    return report


def test_sync_publishes_every_shipped_form_and_each_renders(synced, make_enrollment):
    assert synced.counts["new"] >= len(FORMS) + 6  # the forms and their fragments
    for key in FORMS:
        assert service.published("form", key) is not None, key
    enrollment = make_enrollment(project_type=13, funders=(33, 3))
    for key, stage in [("hud-intake", "project_start"), ("hud-update", "update"), ("hud-annual", "annual"),
                       ("hud-exit", "exit"), ("hud-current-living-situation", "cls"), ("hud-services", "service"),
                       ("hud-ce-event", "ce_event"), ("local-housing-barriers", "local")]:
        html = str(forms.render(forms.load(key), forms.context_for(enrollment, stage)))
        assert 'class="hmis-form"' in html, key


def test_the_intake_asks_by_funder_and_who_the_client_is(synced, make_enrollment):
    intake = forms.load("hud-intake")
    ssvf_rrh = forms.context_for(make_enrollment(project_type=13, funders=(33,)), "project_start")
    child = forms.context_for(make_enrollment(project_type=3, funders=(2,), dob=date(2019, 1, 1), relationship=2),
                              "project_start")
    rhy = forms.context_for(make_enrollment(project_type=2, funders=(24,)), "project_start")
    ssvf_html, child_html, rhy_html = (str(forms.render(intake, c)) for c in (ssvf_rrh, child, rhy))
    assert 'name="percent_ami"' in ssvf_html and 'name="referral_source"' not in ssvf_html
    assert 'name="referral_source"' in rhy_html and 'name="percent_ami"' not in rhy_html
    # a child: no income, no prior living situation; health insurance and disabilities yes
    assert 'name="income_from_any_source"' not in child_html and 'name="living_situation"' not in child_html
    assert 'name="insurance_from_any_source"' in child_html and 'name="disability_physical"' in child_html


def _intake_answers() -> dict[str, str]:
    answers = {"living_situation": "116", "length_of_stay": "5", "date_to_street": "2025-01-01",
               "times_homeless": "4", "months_homeless": "113", "enrollment_coc": "XX-500",
               "income_from_any_source": "1", "income_earned": "1", "income_earned_amount": "800",
               "income_ssi": "1", "income_ssi_amount": "943", "benefits_from_any_source": "0",
               "insurance_from_any_source": "1", "insurance_medicaid": "1", "dv_survivor": "0",
               "disabling_condition": "1"}
    for kind in ("physical", "developmental", "chronic", "hiv", "mental", "substance"):
        answers[f"disability_{kind}"] = "0"
    answers["disability_mental"] = "1"
    answers["disability_mental_long"] = "1"
    return answers


def test_an_intake_fills_the_hud_tables(synced, make_enrollment):
    enrollment = make_enrollment(project_type=3, funders=(2,))
    context = forms.context_for(enrollment, "project_start")
    intake = forms.load("hud-intake")
    bad = forms.read(intake, dict(_intake_answers(), disabling_condition="0"), context)
    assert "disabling condition" in bad.errors["disabling_condition"]
    save_response(system_actor(), intake, context, _intake_answers(), submit=True)
    db.session.commit()
    income = db.session.scalars(select(IncomeBenefits)).one()
    assert (income.total_monthly_income, income.ssi_amount, income.medicaid) == (1743, 943, 1)
    assert income.data_collection_stage == 1 and income.information_date == enrollment.entry_date
    disabilities = {d.disability_type: (d.disability_response, d.indefinite_and_impairs)
                    for d in db.session.scalars(select(Disabilities))}
    assert disabilities == {5: (0, None), 6: (0, None), 7: (0, None), 8: (0, None), 9: (1, 1), 10: (0, None)}
    assert db.session.scalars(select(HealthAndDV.domestic_violence_survivor)).one() == 0
    assert (enrollment.living_situation, enrollment.enrollment_coc, enrollment.disabling_condition) == (116, "XX-500", 1)


def test_an_exit_creates_the_exit_record(synced, make_enrollment):
    enrollment = make_enrollment(project_type=0, funders=(8,))
    context = forms.context_for(enrollment, "exit")
    answers = {"exit_date": "2026-11-01", "destination": "410", "income_from_any_source": "0",
               "benefits_from_any_source": "0", "insurance_from_any_source": "0",
               **{f"disability_{k}": "0" for k in ("physical", "developmental", "chronic", "hiv", "mental",
                                                     "substance")}}
    save_response(system_actor(), forms.load("hud-exit"), context, answers, submit=True)
    db.session.commit()
    exit_row = db.session.scalars(select(Exit)).one()
    assert (exit_row.exit_date, exit_row.destination, exit_row.enrollment_id) == (date(2026, 11, 1), 410,
                                                                                   enrollment.enrollment_id)
    income = db.session.scalars(select(IncomeBenefits)).one()
    assert (income.data_collection_stage, income.information_date) == (3, date(2026, 11, 1))


def test_form_rules_most_specific_wins_and_says_why(synced, make_enrollment):
    psh = forms.context_for(make_enrollment(project_type=3, funders=(2,)), "project_start").project
    ssvf = forms.context_for(make_enrollment(project_type=13, funders=(33,)), "project_start").project
    shelter = forms.context_for(make_enrollment(project_type=1, funders=(8,)), "service").project
    assert [a.form for a in applicable(psh, "project_start")] == ["hud-intake", "local-housing-barriers"]
    assert [a.form for a in applicable(ssvf, "project_start")] == ["hud-intake"]
    bed = applicable(shelter, "service")
    assert [a.form for a in bed] == ["hud-bed-night"]
    assert "nbn-bed-nights" in bed[0].why and "project type 1" in bed[0].why
    assert [r.id for r in bed[0].overridden] == ["hud-services"]
    assert applicable(psh, "post_exit") == []
    assert [a.form for a in applicable(None, "profile")] == ["hud-client-profile"]


def test_broken_form_rules_are_refused_listing_every_problem():
    from hmis.forms.rules import RulesError

    with pytest.raises(RulesError) as raised:
        load_rules({"rules": [{"id": "a", "stage": "lunch", "form": "x"}, {"id": "a", "stage": "exit"}]})
    message = str(raised.value)
    assert "stage must be one of" in message and "used twice" in message and "form must name" in message


def test_the_exit_form_in_spanish(synced, make_enrollment):
    context = forms.context_for(make_enrollment(project_type=0, funders=(8,)), "exit", language="es")
    html = str(forms.render(forms.load("hud-exit"), context))
    assert "Fecha de salida del proyecto" in html and "Fallecido" in html and "Tiene seguro médico" in html


#: HUD FY2026 universal and program-specific elements (standards.md §4) and a column of each.
ELEMENT_COLUMNS = {
    "3.01": "Client.FirstName", "3.02": "Client.SSN", "3.03": "Client.DOB", "3.04": "Client.White",
    "3.07": "Client.VeteranStatus", "3.08": "Enrollment.DisablingCondition", "3.11": "Exit.ExitDate",
    "3.12": "Exit.Destination", "3.16": "Enrollment.EnrollmentCoC", "3.20": "Enrollment.MoveInDate",
    "3.917": "Enrollment.LivingSituation", "4.02": "IncomeBenefits.TotalMonthlyIncome",
    "4.03": "IncomeBenefits.BenefitsFromAnySource", "4.04": "IncomeBenefits.InsuranceFromAnySource",
    "4.05-4.10": "Disabilities.DisabilityResponse", "4.11": "HealthAndDV.DomesticViolenceSurvivor",
    "4.12": "CurrentLivingSituation.CurrentLivingSituation", "4.13": "Enrollment.DateOfEngagement",
    "4.14": "Services.TypeProvided", "4.19": "Assessment.AssessmentLevel", "4.20": "Event.Event",
    "4.21": "Client.Sex", "W3": "IncomeBenefits.ADAP", "W4": "Disabilities.TCellCount",
    "W5": "Exit.HousingAssessment", "P3": "Enrollment.ClientEnrolledInPATH", "P4": "IncomeBenefits.ConnectionWithSOAR",
    "V1": "Client.MilitaryBranch", "V4": "Enrollment.PercentAMI", "V6": "Enrollment.VAMCStation",
    "V7": "Enrollment.TargetScreenReqd", "V9": "Exit.CMExitReason", "V10": "Enrollment.MentalHealthConsultation",
    "R1": "Enrollment.ReferralSource", "R2": "Enrollment.EligibleForRHY", "R4": "EmploymentEducation.LastGradeCompleted",
    "R6": "EmploymentEducation.Employed", "R10": "HealthAndDV.PregnancyStatus",
    "R11": "Enrollment.FormerWardChildWelfare", "R12": "Enrollment.FormerWardJuvenileJustice",
    "R13": "Enrollment.IncarceratedParent", "R15": "Exit.ExchangeForSex", "R16": "Exit.CoercedToContinueWork",
    "R17": "Exit.ProjectCompletionStatus", "R18": "Exit.CounselingReceived", "R19": "Exit.DestinationSafeClient",
    "R20": "Exit.AftercareProvided", "C3": "YouthEducationStatus.CurrentSchoolAttend",
}


def test_the_shipped_forms_cover_hud_elements():
    import yaml

    from hmis.forms.compile import COMPOSITE_COLUMNS, compile_body
    from hmis.forms.fragments import from_shipped_folder
    from hmis.forms.items import walk

    written = set()
    for key in FORMS:
        body = yaml.safe_load((shipped_folder() / f"{key}.yaml").read_text())
        for item in walk(compile_body(body, key, from_shipped_folder()).items):
            if item.hud is not None:
                written.add(f"{item.hud.record}.{item.hud.column}")
            written.update(f"{c.record}.{c.column}" for c in item.hud_columns.values())
            written.update(f"Client.{column}" for column in COMPOSITE_COLUMNS.get(item.type, {}).values())
    missing = {element: column for element, column in ELEMENT_COLUMNS.items() if column not in written}
    assert missing == {}
