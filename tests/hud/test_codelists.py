"""HUD code lists: the YAML, the CodeList column of the spec, and HUD's sample export."""
from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
import yaml

from hmis.hud import SPEC, codelists
from hmis.hud.codelists import CODE_LISTS, ROW_DEPENDENT_COLUMNS, get, is_valid, label, list_for

REPO = Path(__file__).resolve().parents[2]
SAMPLE_ZIP = REPO.parent / "shared" / "hud" / "samples" / "lsa_sample_hmis_export_fy2026.zip"
YAML_PATH = REPO / "platform" / "hmis" / "hud" / "data" / "codelists.yaml"

# Integer columns that hold counts, years, scores or months, not codes.
FREE_INTEGERS = {
    "Project.PITCount",
    "Client.YearEnteredService",
    "Client.YearSeparated",
    "Enrollment.CountOutreachReferralApproaches",
    "Enrollment.ChildWelfareMonths",
    "Enrollment.JuvenileJusticeMonths",
    "Enrollment.HPScreeningScore",
    "Enrollment.ThresholdScore",
    "Exit.SessionCountAtExit",
    "Exit.SessionsInPlan",
    "Disabilities.TCellCount",
    "Disabilities.ViralLoad",
    "AssessmentQuestions.AssessmentQuestionOrder",
} | {
    f"Inventory.{name}"
    for name in (
        "UnitInventory", "BedInventory", "CHVetBedInventory", "YouthVetBedInventory",
        "VetBedInventory", "CHYouthBedInventory", "YouthBedInventory", "CHBedInventory",
        "OtherBedInventory",
    )
}


def all_columns():
    return [column for hud_file in SPEC for column in hud_file.columns]


# --- the data files agree with each other -------------------------------------------


def test_every_codelist_in_the_column_spec_exists():
    missing = {c.element: c.code_list for c in all_columns() if c.code_list and c.code_list not in CODE_LISTS}
    assert missing == {}


def test_only_integer_columns_have_code_lists():
    assert [c.element for c in all_columns() if c.code_list and c.type != "integer"] == []


def test_every_integer_column_is_coded_dependent_or_known_free():
    unexplained = [
        c.element
        for c in all_columns()
        if c.type == "integer"
        and not c.code_list
        and c.element not in ROW_DEPENDENT_COLUMNS
        and c.element not in FREE_INTEGERS
    ]
    assert unexplained == []
    # And the allow-list does not hide a column that has since got a list.
    assert {c.element for c in all_columns() if c.code_list} & FREE_INTEGERS == set()


def test_every_list_is_used():
    used = {c.code_list for c in all_columns() if c.code_list}
    for key in (
        "services_type_provided_by_record_type",
        "services_sub_type_provided_by_type_provided",
        "disability_response_by_disability_type",
    ):
        used |= set(yaml.safe_load(YAML_PATH.read_text("utf-8"))[key].values())
    assert set(CODE_LISTS) - used == set()


def test_yaml_ids_are_quoted_strings():
    # Unquoted, "1.10" would load as the float 1.1 and collide with list 1.1.
    raw = yaml.safe_load(YAML_PATH.read_text("utf-8"))
    assert all(isinstance(key, str) for key in raw)
    assert get("1.1").name == "ExportPeriodType" and get("1.10").name == "NoYes"


@pytest.mark.parametrize("list_id", sorted(CODE_LISTS))
def test_list_shape(list_id):
    code_list = CODE_LISTS[list_id]
    assert code_list.id == list_id and code_list.name
    assert len(code_list.codes) >= 1
    assert all(type(code) is int for code in code_list.codes)
    assert all(isinstance(text, str) and text.strip() for text in code_list.codes.values())
    assert code_list.retired <= set(code_list.codes)


def test_max_length_only_on_strings():
    for column in all_columns():
        if column.type == "string":
            assert column.max_length and column.max_length > 0, column.element
        else:
            assert column.max_length is None, column.element
    assert SPEC["Export"].column("SourceID").max_length == 350
    assert SPEC["Client"].column("SSN").max_length == 9
    assert SPEC["ProjectCoC"].column("CoCCode").max_length == 6


# --- exact content ----------------------------------------------------------------------


def test_generic_lists():
    assert set(get("1.8").codes) == {0, 1, 8, 9, 99}
    assert set(get("1.7").codes) == {0, 1, 99}
    assert set(get("1.10").codes) == {0, 1}
    assert set(get("1.6").codes) == {8, 9, 99}
    assert set(get("4.21").codes) == {0, 1, 8, 9, 99}


def test_project_types():
    assert set(get("2.02.6").codes) == {0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14}
    assert 5 not in get("2.02.6")


def test_funders_retired_and_new():
    funders = get("2.06.1")
    assert {47, 48} <= funders.retired
    assert not is_valid("2.06.1", 47) and is_valid("2.06.1", 47, allow_retired=True)
    assert label("2.06.1", 48) is not None  # old data still gets a label
    assert is_valid("2.06.1", 56)
    assert not {28, 29, 31} & set(funders.codes)


def test_living_situations():
    prior, current, destination = get("3.917"), get("4.12"), get("3.12")
    assert {101, 116, 435} <= set(destination.codes)
    assert (len(prior.codes), len(current.codes), len(destination.codes)) == (22, 24, 29)
    # Group by hundreds: every 1xx-4xx code is in one of the four groups.
    for code_list in (prior, current, destination):
        assert all(code < 100 or 1 <= code // 100 <= 4 for code in code_list.codes)
    assert {335, 336} <= set(prior.codes) and not {335, 336} & set(destination.codes)
    assert {312, 313, 422, 423, 426, 327, 24, 30} <= set(destination.codes) - set(current.codes)
    assert 37 in current and 37 not in destination and 17 in current and 17 not in prior


def test_subsidy_types_are_not_destinations():
    subsidies = set(get("3.12.A").codes)
    assert subsidies == {419, 420, 428, 431, 433, 434, 436, 437, 438, 439, 440}
    assert not subsidies & set(get("3.12").codes)


# --- row-dependent lists ----------------------------------------------------------------


def services(name):
    return SPEC["Services"].column(name)


def test_services_type_provided_by_record_type():
    expected = {
        141: "P1.2", 142: "R14.2", 143: "W1.2", 144: "V2.2", 151: "W2.3",
        152: "V3.3", 161: "P2.2", 200: "4.14", 210: "V8.1", 300: "C2.2",
    }
    assert set(expected) == set(get("1.4").codes)
    type_provided = services("TypeProvided")
    for record_type, list_id in expected.items():
        assert list_for(type_provided, {"RecordType": record_type}) == list_id
        assert list_for(type_provided, {"RecordType": str(record_type)}) == list_id
    assert get("4.14").codes.keys() == {200}
    assert list_for(type_provided) is None
    assert list_for(type_provided, {"RecordType": 999}) is None
    assert list_for(type_provided, {}) is None


def test_services_type_provided_accepts_our_column_names():
    type_provided = services("TypeProvided")
    assert list_for(type_provided, {"record_type": 161}) == "P2.2"
    assert list_for(type_provided, {"RECORDTYPE": "141"}) == "P1.2"


def test_services_sub_type_provided():
    sub_type = services("SubTypeProvided")
    assert list_for(sub_type, {"RecordType": 144, "TypeProvided": 3}) == "V2.A"
    assert list_for(sub_type, {"RecordType": 144, "TypeProvided": 4}) == "V2.B"
    assert list_for(sub_type, {"RecordType": 144, "TypeProvided": 5}) == "V2.C"
    assert list_for(sub_type, {"RecordType": 144, "TypeProvided": 1}) is None
    assert list_for(sub_type, {"RecordType": 152, "TypeProvided": 4}) is None
    assert list_for(sub_type) is None


def test_disability_response_depends_on_type():
    response = SPEC["Disabilities"].column("DisabilityResponse")
    assert list_for(response) == "1.8"
    assert list_for(response, {"DisabilityType": 10}) == "4.10.2"
    assert list_for(response, {"DisabilityType": "5"}) == "1.8"
    assert is_valid(list_for(response, {"DisabilityType": 10}), 3)
    assert not is_valid(list_for(response, {"DisabilityType": 9}), 3)


def test_plain_column_uses_its_code_list():
    assert list_for(SPEC["Exit"].column("Destination")) == "3.12"
    assert list_for(SPEC["Project"].column("PITCount")) is None


# --- lookups -------------------------------------------------------------------------------


def test_label_and_is_valid_read_csv_text():
    assert label("3.12", 435) == label("3.12", "435") == label("3.12", " 435 ")
    assert label("3.12", 434) is None
    assert label("3.12", "") is None and label("3.12", None) is None and label("3.12", "abc") is None
    assert is_valid("1.8", "99") and not is_valid("1.8", "")
    assert not is_valid("1.10", True)  # a bool is not a HUD code
    with pytest.raises(KeyError):
        get("9.99")


def test_code_lists_are_read_only():
    with pytest.raises(TypeError):
        CODE_LISTS["1.8"] = CODE_LISTS["1.7"]  # type: ignore[index]
    with pytest.raises(TypeError):
        get("1.8").codes[5] = "Maybe"  # type: ignore[index]


def test_module_loads_once():
    assert codelists.CODE_LISTS is CODE_LISTS
    assert get("1.8") is get("1.8")


# --- HUD's sample export ---------------------------------------------------------------------


@cache
def sample_outside_lists(file_name: str) -> tuple[int, dict[str, Counter[str]]]:
    """Rows read, and per column the values outside that column's list."""
    assert SAMPLE_ZIP.exists(), f"HUD's sample export is expected at {SAMPLE_ZIP}"
    hud_file = SPEC[file_name]
    bad: dict[str, Counter[str]] = {}
    with zipfile.ZipFile(SAMPLE_ZIP) as archive, archive.open(hud_file.filename) as raw:
        reader = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig"))
        # Map the file's header spelling (HoHLeaseholder, ...) to spec columns.
        columns = {header: hud_file.column(header) for header in reader.fieldnames or ()}
        rows = 0
        for row in reader:
            rows += 1
            for header, column in columns.items():
                value = row[header]
                if column is None or column.type != "integer" or value == "":
                    continue
                list_id = list_for(column, row)
                if list_id and not is_valid(list_id, value):
                    bad.setdefault(column.name, Counter())[value] += 1
    return rows, bad


@pytest.mark.parametrize("file_name", [f.name for f in SPEC])
def test_sample_headers_match_spec(file_name):
    with zipfile.ZipFile(SAMPLE_ZIP) as archive, archive.open(f"{file_name}.csv") as raw:
        header = next(csv.reader(io.TextIOWrapper(raw, encoding="utf-8-sig")))
    assert [h.lower() for h in header] == [c.name.lower() for c in SPEC[file_name].columns]


@pytest.mark.parametrize("file_name", ["Client", "Enrollment", "Exit"])
def test_sample_values_mostly_in_lists(file_name):
    rows, bad = sample_outside_lists(file_name)
    assert rows > 10_000
    for column, values in bad.items():
        assert sum(values.values()) / rows < 0.001, (file_name, column, values)


@pytest.mark.parametrize("file_name", [f.name for f in SPEC])
def test_sample_invalid_values_are_exactly_the_known_ones(file_name):
    # HUD's LSA sample plants subsidy types as destinations; nothing else is off-list.
    known = {"Exit": {"Destination": Counter({"434": 2, "419": 1, "440": 1})}}
    _, bad = sample_outside_lists(file_name)
    assert bad == known.get(file_name, {})


def test_sample_quirks_the_lists_accept():
    # RelationshipToHoH 99 is in the CSV list (the LSA rejects it); DisabilityResponse 2/3
    # appear only on substance-use rows, which the row-dependent list allows.
    assert "RelationshipToHoH" not in sample_outside_lists("Enrollment")[1]
    assert "DisabilityResponse" not in sample_outside_lists("Disabilities")[1]
