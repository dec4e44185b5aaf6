"""HUD data elements: every CSV column maps to one, and the map says what HUD says."""
from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml

from hmis.hud import SPEC
from hmis.hud.elements import (
    COLUMN_ELEMENTS,
    DISABILITIES_GROUP,
    ELEMENTS,
    ELEMENTS_BY_DISABILITY_TYPE,
    ELEMENTS_BY_RECORD_TYPE,
    SERVICES_GROUP,
    base_element,
    columns_for,
    describe,
    element_name,
    element_of,
    is_pseudo,
)

REPO = Path(__file__).resolve().parents[2]
YAML_PATH = REPO / "platform" / "hmis" / "hud" / "data" / "elements.yaml"
CATALOGUE = REPO.parent / "shared" / "hud" / "tables" / "dq_checks_catalogue.csv"


def all_columns():
    return [column for hud_file in SPEC for column in hud_file.columns]


# --- coverage and consistency -------------------------------------------------------


def test_every_column_is_mapped():
    columns = all_columns()
    assert len(columns) == 519
    assert [c.element for c in columns if element_of(c) is None] == []
    assert set(COLUMN_ELEMENTS) == {c.element for c in columns}


def test_every_mapped_id_has_a_name():
    ids = set(COLUMN_ELEMENTS.values()) | set(ELEMENTS_BY_DISABILITY_TYPE.values()) | set(
        ELEMENTS_BY_RECORD_TYPE.values()
    )
    assert {i for i in ids if not element_name(i)} == set()


def test_every_listed_element_is_used():
    # Directly, through a row rule, or as the element of a field that is used.
    used = set(COLUMN_ELEMENTS.values()) | set(ELEMENTS_BY_DISABILITY_TYPE.values()) | set(
        ELEMENTS_BY_RECORD_TYPE.values()
    )
    used |= {base_element(i) for i in used}
    assert set(ELEMENTS) - used == set()


def test_every_field_id_has_its_element_listed():
    assert {i: base_element(i) for i in ELEMENTS if base_element(i) not in ELEMENTS} == {}


def test_yaml_ids_are_quoted_strings():
    # "3.10" unquoted would load as the float 3.1; the loader refuses that, check the file too.
    raw = yaml.safe_load(YAML_PATH.read_text("utf-8"))
    assert all(isinstance(k, str) for k in raw["elements"])
    assert all(isinstance(v, str) for v in raw["columns"].values())


# --- spot checks against HUD's numbering -------------------------------------------


@pytest.mark.parametrize(
    "element, expected",
    [
        ("Client.DOB", "3.03"),
        ("Client.SSN", "3.02"),
        ("Client.FirstName", "3.01"),
        ("Client.NameDataQuality", "3.01.5"),
        ("Client.HispanicLatinao", "3.04"),
        ("Client.VeteranStatus", "3.07"),
        ("Client.Sex", "4.21"),
        ("Client.MilitaryBranch", "V1.11"),
        ("Client.PersonalID", "5.08"),
        ("Enrollment.EntryDate", "3.10"),
        ("Enrollment.RelationshipToHoH", "3.15"),
        ("Enrollment.EnrollmentCoC", "3.16"),
        ("Enrollment.MoveInDate", "3.20"),
        ("Enrollment.DisablingCondition", "3.08"),
        ("Enrollment.LivingSituation", "3.917.1"),
        ("Enrollment.DateToStreetESSH", "3.917.3"),
        ("Enrollment.DateOfEngagement", "4.13"),
        ("Enrollment.PersonalID", "5.08"),
        ("Enrollment.HouseholdID", "5.09"),
        ("Enrollment.EnrollmentID", "5.06"),
        ("Enrollment.ProjectID", "5.05"),
        ("Enrollment.MentalHealthConsultation", "V10"),
        ("Enrollment.HoHLeaseholder", "V7"),
        ("Exit.ExitDate", "3.11"),
        ("Exit.Destination", "3.12.1"),
        ("Exit.HousingAssessment", "W5"),
        ("Exit.CMExitReason", "V9"),
        ("IncomeBenefits.TotalMonthlyIncome", "4.02"),
        ("IncomeBenefits.SNAP", "4.03"),
        ("IncomeBenefits.Medicaid", "4.04"),
        ("IncomeBenefits.ConnectionWithSOAR", "P4"),
        ("IncomeBenefits.InformationDate", "5.04"),
        ("IncomeBenefits.DataCollectionStage", "5.03"),
        ("HealthAndDV.DomesticViolenceSurvivor", "4.11"),
        ("EmploymentEducation.LastGradeCompleted", "R4"),
        ("CurrentLivingSituation.CurrentLivingSituation", "4.12"),
        ("Event.Event", "4.20.2"),
        ("Assessment.AssessmentLevel", "4.19.4"),
        ("YouthEducationStatus.CurrentSchoolAttend", "C3"),
        ("Project.ProjectType", "2.02.6"),
        ("Funder.Funder", "2.06.1"),
        ("Client.DateCreated", "5.01"),
        ("Client.DateUpdated", "5.02"),
        ("Client.UserID", "5.07"),
        ("Export.ExportDate", "Export"),
        ("Services.ExportID", "Export"),
        ("Exit.ExitID", "CSV.ID"),
        ("Exit.DateDeleted", "CSV.DateDeleted"),
    ],
)
def test_spot_checks(element, expected):
    assert element_of(element) == expected


def test_row_dependent_columns_give_their_group_without_a_row():
    # Documented choice: a Disabilities row records one of 4.05-4.10, a Services row
    # one service element; without the row we can only name the group.
    assert element_of("Disabilities.DisabilityResponse") == DISABILITIES_GROUP == "4.05-4.10"
    assert element_of("Services.DateProvided") == SERVICES_GROUP
    assert describe("Disabilities.DisabilityResponse") == "4.05-4.10 Disabilities (by DisabilityType)"


@pytest.mark.parametrize(
    "disability_type, expected",
    [(5, "4.05"), ("6", "4.06"), (7, "4.07"), (8, "4.08"), (9, "4.09"), (" 10 ", "4.10")],
)
def test_disabilities_resolve_by_type(disability_type, expected):
    column = SPEC["Disabilities"].column("DisabilityResponse")
    assert element_of(column, {"DisabilityType": disability_type}) == expected
    # snake_case rows (our tables) and other header case work too
    assert element_of(column, {"disability_type": disability_type}) == expected
    assert element_of(column, {"DISABILITYTYPE": disability_type}) == expected


def test_services_resolve_by_record_type():
    column = SPEC["Services"].column("DateProvided")
    assert element_of(column, {"RecordType": "200"}) == "4.14"
    assert describe(column, {"RecordType": 200}) == "4.14 Bed-night Date"
    assert element_of("Services.FAAmount", {"RecordType": 152}) == "V3"
    assert element_of("Services.TypeProvided", {"RecordType": 300}) == "C2"
    # unknown or missing codes fall back to the group
    assert element_of(column, {"RecordType": "999"}) == SERVICES_GROUP
    assert element_of(column, {"RecordType": ""}) == SERVICES_GROUP
    assert element_of(column, {}) == SERVICES_GROUP
    # a row does not change columns that are not row-dependent
    assert element_of("Services.PersonalID", {"RecordType": 200}) == "5.08"
    assert element_of("Disabilities.TCellCount", {"DisabilityType": 5}) == "W4"


def test_record_type_rule_covers_the_services_code_list():
    from hmis.hud.codelists import CODE_LISTS

    record_types = CODE_LISTS[SPEC["Services"].column("RecordType").code_list].current
    assert set(ELEMENTS_BY_RECORD_TYPE) == set(record_types)
    disability_types = CODE_LISTS[SPEC["Disabilities"].column("DisabilityType").code_list].current
    assert set(ELEMENTS_BY_DISABILITY_TYPE) == set(disability_types)


# --- describe and friends ---------------------------------------------------------------


def test_describe():
    assert describe(SPEC["Client"].column("DOB")) == "3.03 Date of Birth"
    assert describe("Enrollment.LivingSituation") == "3.917.1 Prior Living Situation: Living Situation"
    assert describe("IncomeBenefits.TotalMonthlyIncome") == "4.02 Income and Sources"
    assert describe("Client.VeteranStatus") == "3.07 Veteran Status"
    assert describe("Exit.ExitID") == "Exit.ExitID (HMIS CSV record identifier)"
    assert describe("Export.SourceName") == "Export.SourceName (HMIS CSV export information)"
    # unknown columns fall back to what we were given
    assert describe("Client.Woman") == "Client.Woman"
    assert element_of("Client.Woman") is None  # FY2024 gender column, retired


def test_string_lookup_ignores_case_and_csv_suffix():
    assert element_of("client.dob") == "3.03"
    assert element_of("ProjectCoC.Zip") == "2.03"
    assert element_of("Client.csv.DOB") is None  # "File.Column", not a filename


def test_pseudo_elements_are_the_only_ids_not_in_hud_form():
    hud_form = re.compile(r"^(\d\.\d{2,3}|[CPRVW]\d{1,2})(\.[0-9A-Z]+)?$")
    odd = {i for i in ELEMENTS if not hud_form.match(i) and not is_pseudo(i)}
    assert odd == {DISABILITIES_GROUP}


def test_columns_for():
    assert [c.name for c in columns_for("3.917")] == [
        "LivingSituation", "RentalSubsidyType", "LengthOfStay", "LOSUnderThreshold",
        "PreviousStreetESSH", "DateToStreetESSH", "TimesHomelessPastThreeYears",
        "MonthsHomelessPastThreeYears",
    ]
    assert [c.element for c in columns_for("3.12")] == [
        "Exit.Destination", "Exit.DestinationSubsidyType", "Exit.OtherDestination",
    ]
    assert {c.file for c in columns_for("4.08")} == {"Disabilities"}
    assert {c.element for c in columns_for("5.09")} == {"Enrollment.HouseholdID"}


# --- agreement with HUD's DQ checks catalogue ------------------------------------------


def catalogue_element_names():
    """HUD's "<id> - <name>" spellings from the DQ catalogue's DataElement column."""
    assert CATALOGUE.exists(), f"HUD's DQ checks catalogue is expected at {CATALOGUE}"
    names = {}
    with CATALOGUE.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for part in row["DataElement"].split(", "):
                match = re.match(r"^\s*(\d\.\d{2,3}(?:\.\d+)?|V\d+)\s+-\s+(.+?)\s*$", part)
                if match:
                    names.setdefault(match[1], match[2])
    return names


def test_element_names_agree_with_the_catalogue():
    # Whole elements only; the catalogue's own names vary ("3.16 - Client Location" is
    # the pre-FY2024 name of 3.16 Enrollment CoC, "3.04 - Race" of Race and Ethnicity).
    renamed = {"3.16", "3.04"}
    names = catalogue_element_names()
    mismatched = {
        i: (names[i], ELEMENTS[i])
        for i in names
        if i in ELEMENTS and i not in renamed and base_element(i) == i
        and not names[i].lower().startswith(ELEMENTS[i].lower())
    }
    assert mismatched == {}


def test_field_names_agree_with_the_catalogue():
    # The catalogue also writes "2.02.4 - Operating Start Date" once; its other rows
    # (and HUD's order of fields) make 2.02.4 the Operating End Date.
    catalogue_slips = {"2.02.4"}
    names = catalogue_element_names()
    mismatched = {
        i: (names[i], ELEMENTS[i])
        for i in names
        if i in ELEMENTS and i not in catalogue_slips and base_element(i) != i
        and names[i].split(": ")[-1].lower() not in ELEMENTS[i].lower()
    }
    assert mismatched == {}
