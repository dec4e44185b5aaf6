"""A blank data-quality field (or a blank 3.07, 3.08 or RaceNone) counts as "missing", not nowhere.

The "don't know / prefers not to answer" tests read ``x in [8, 9]``, which is null, not false,
when ``x`` is blank; "missing" is ``not dk and ...``, so it was null too and the person fell out
of every column of the row. HUD's answer key counts them as missing. One adult head of household:
no name, SSN or date-of-birth quality, no date of birth, RaceNone blank with no race marked,
veteran status and disabling condition blank.
"""
from __future__ import annotations

import pytest

from hmis.extensions import db

from .shipped_apr import shipped_tables

ROWS = {"Name (3.01)": "Q6a", "Social Security Number (3.02)": "Q6a", "Date of Birth (3.03)": "Q6a",
        "Race and Ethnicity (3.04)": "Q6a", "Veteran Status (3.07)": "Q6b", "Disabling Condition (3.08)": "Q6b"}
SAME_IN_DQ = {"Q6a": "Q2", "Q6b": "Q3"}


@pytest.fixture
def blank_person(world):
    es = world.project(0)
    person = world.client("1980-01-01", name_data_quality=None, ssn_data_quality=None, veteran_status=None,
                          race_none=None)
    world.enroll(person, es, "2025-11-01", disabling_condition=None)
    blank_dob = world.client(None, dob_data_quality=None, name_data_quality=1, ssn_data_quality=1, ssn="531448812",
                             veteran_status=0, white=1)
    world.enroll(blank_dob, es, "2025-11-01")
    db.session.commit()


@pytest.mark.parametrize("report", ["apr", "caper", "data-quality"])
def test_blank_quality_is_missing(blank_person, report):
    for label, table in ROWS.items():
        table = SAME_IN_DQ[table] if report == "data-quality" else table
        row = shipped_tables(report, table)[table][label]
        # one person missing in each row: the first, or (date of birth) the second, who has neither a date
        # nor its quality; the first's date of birth is full and the second answered everything else
        assert row[0] == 0 and row[1] == 1, (report, label, row)

