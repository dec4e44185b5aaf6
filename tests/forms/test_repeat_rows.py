"""Repeating groups written as HUD rows, seen where reports see them: the HMIS CSV export."""
from __future__ import annotations

import csv
import io
import zipfile

import pytest

from hmis import forms
from hmis.access.operations import Actor
from hmis.definitions.problems import DefinitionError
from hmis.extensions import db
from hmis.forms.responses import FormInvalid, save_response
from hmis.interchange.exporter import export_csv

STAFF = Actor(account_id=None, role="hmis_lead", name="Casey Manager")

FORM = """
id: test-repeats
kind: form
title: Repeating HUD answers
stage: update
code_lists:
  sources:
    - {value: earned, label: Earned income}
    - {value: ssi, label: SSI}
    - {value: unemployment, label: Unemployment insurance}
items:
  - id: conditions
    type: group
    label: Disabling conditions (one row each)
    repeat: {min: 0, max: 6, key: condition}
    items:
      - {id: condition, type: choice, label: Condition, hud: Disabilities.DisabilityType, required: true}
      - {id: condition_response, type: choice, label: Has it, hud: Disabilities.DisabilityResponse,
         choices: [{value: 0, label: No}, {value: 1, label: Yes}]}
      - {id: condition_long, type: choice, label: Long-continuing, hud: Disabilities.IndefiniteAndImpairs}
  - {id: income_any, type: choice, label: Income from any source, hud: IncomeBenefits.IncomeFromAnySource}
  - id: sources
    type: group
    label: Sources of income (one row each)
    relevant: income_any = 1
    repeat: {min: 0, max: 10}
    items:
      - id: source
        type: choice
        label: Source
        choices: local:sources
        hud_columns: {earned: IncomeBenefits.Earned, ssi: IncomeBenefits.SSI,
                      unemployment: IncomeBenefits.Unemployment}
      - id: amount
        type: currency
        label: Monthly amount
        hud_columns_by: source
        hud_columns: {earned: IncomeBenefits.EarnedAmount, ssi: IncomeBenefits.SSIAmount,
                      unemployment: IncomeBenefits.UnemploymentAmount}
"""

ANSWERS = {
    "conditions[0].condition": "5", "conditions[0].condition_response": "1", "conditions[0].condition_long": "1",
    "conditions[1].condition": "9", "conditions[1].condition_response": "0",
    "income_any": "1",
    "sources[0].source": "earned", "sources[0].amount": "800.00",
    "sources[1].source": "ssi", "sources[1].amount": "943.00",
}


@pytest.fixture
def repeats(publish_form):
    publish_form(FORM)
    return forms.load("test-repeats")


def _export(tmp_path) -> dict[str, list[dict[str, str]]]:
    result = export_csv(tmp_path / "export.zip")
    with zipfile.ZipFile(result.path) as archive:
        return {name: list(csv.DictReader(io.TextIOWrapper(archive.open(f"{name}.csv"), encoding="utf-8-sig")))
                for name in ("Disabilities", "IncomeBenefits")}


def test_rows_of_a_repeating_group_reach_the_hud_tables_and_the_export(repeats, make_enrollment, tmp_path):
    enrollment = make_enrollment()
    context = forms.context_for(enrollment, "update")
    submission = forms.read(repeats, ANSWERS, context)
    assert submission.ok, submission.errors
    assert submission.records[("Disabilities", (("DisabilityType", 5),))] == {
        "DisabilityResponse": 1, "IndefiniteAndImpairs": 1}  # what a preview shows is what is written
    save_response(STAFF, repeats, context, ANSWERS, submit=True)
    db.session.commit()

    exported = _export(tmp_path)
    disabilities = {row["DisabilityType"]: row for row in exported["Disabilities"]}
    assert sorted(disabilities) == ["5", "9"]
    assert (disabilities["5"]["DisabilityResponse"], disabilities["5"]["IndefiniteAndImpairs"]) == ("1", "1")
    assert disabilities["9"]["DisabilityResponse"] == "0"
    assert {row["DataCollectionStage"] for row in exported["Disabilities"]} == {"2"}
    [income] = exported["IncomeBenefits"]
    assert (income["IncomeFromAnySource"], income["Earned"], income["EarnedAmount"], income["SSI"],
            income["SSIAmount"]) == ("1", "1", "800.00", "1", "943.00")
    assert (income["Unemployment"], income["UnemploymentAmount"]) == ("0", "")  # listed, chosen by no row
    assert income["DataCollectionStage"] == "2" and income["EnrollmentID"] == enrollment.enrollment_id


def test_a_row_key_answered_twice_is_refused_at_the_second_row(repeats, make_enrollment):
    context = forms.context_for(make_enrollment(), "update")
    twice = {**ANSWERS, "conditions[1].condition": "5"}
    with pytest.raises(FormInvalid) as refused:
        save_response(STAFF, repeats, context, twice, submit=True)
    assert "already answered in row 1" in refused.value.submission.errors["conditions[1].condition"]


def test_hidden_repeats_write_nothing(repeats, make_enrollment):
    context = forms.context_for(make_enrollment(), "update")
    submission = forms.read(repeats, {**ANSWERS, "income_any": "0"}, context)
    assert submission.records[("IncomeBenefits", ())] == {"IncomeFromAnySource": 0}


@pytest.mark.parametrize("change, message", [
    (("conditions", {"id": "note", "type": "text", "label": "Note", "custom": "local.note"}),
     "cannot be a custom data element"),
    (("conditions", {"id": "first", "type": "text", "label": "First", "hud": "Client.FirstName"}),
     "one row per client"),
    (("conditions", {"id": "earned", "type": "boolean", "label": "Earned", "hud": "IncomeBenefits.Earned"}),
     "each row of this group is a Disabilities row"),
    (("sources", {"id": "total", "type": "currency", "label": "Total", "hud": "IncomeBenefits.TotalMonthlyIncome"}),
     "without a key: every row would write IncomeBenefits.TotalMonthlyIncome"),
    (("sources", {"id": "extra", "type": "currency", "label": "Extra", "hud_columns_by": "nothing",
                  "hud_columns": {"earned": "IncomeBenefits.EarnedAmount"}}),
     "hud_columns_by must name a choice item of the same group"),
])
def test_what_a_repeat_cannot_write_is_refused_at_publishing(publish_form, change, message):
    import yaml

    body = yaml.safe_load(FORM)
    group, item = change
    next(i for i in body["items"] if i.get("id") == group)["items"].append(item)
    with pytest.raises(DefinitionError) as refused:
        publish_form(yaml.safe_dump(body))
    assert message in str(refused.value)
