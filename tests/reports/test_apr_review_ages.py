"""A birth date after the age date (a negative age) makes a child, as HUD's answer key counts it.

HUD's Data Lab code (add_client_info) sorts everyone with a date of birth by ``age < 18`` into
"Children" and ``age < 5`` into "Under 5"; only a missing date of birth is an unknown age. Report
range 2025-10-01 to 2026-09-30; ages are at the later of start and report start.

    A  HoH born 1980, ES from 2025-11-01, household H                   adult
    K  A's child born 2025-12-15, entered with A on 2025-11-01           child (was unknown age)
    X  HoH alone born 2026-01-10, ES from 2025-11-01 (DOB after entry)   child (was unknown age)
    U  adult alone with no date of birth (quality 99)                    unknown age

Q5a: persons 4, adults 1, children 2 (was 0), unknown age 1 (was 3). Q7a Children: with children and
adults 1 (household H was "unknown"), with only children 1 (X's household was "unknown"); Unknown
household type 1 (was 3). Q11 Under 5: 2 (was 0); Data Not Collected 1 (was 3).
"""
from __future__ import annotations

import pytest

from hmis.extensions import db

from .shipped_apr import shipped_tables

TOTAL, WITHOUT, WITH_CHILDREN, ONLY_CHILDREN, UNKNOWN = range(5)


@pytest.fixture
def born_after_entry(world):
    es = world.project(0)
    world.enroll(world.client("1980-01-01"), es, "2025-11-01", household="H")
    world.enroll(world.client("2025-12-15"), es, "2025-11-01", household="H", relationship=2)
    world.enroll(world.client("2026-01-10"), es, "2025-11-01")
    world.enroll(world.client(None), es, "2025-11-01")
    db.session.commit()


@pytest.mark.parametrize("report", ["apr", "caper"])
def test_a_birth_date_after_the_age_date_makes_a_child(born_after_entry, report):
    t = shipped_tables(report, "Q5a", "Q7a", "Q11")
    q5a = t["Q5a"]
    assert q5a["Total Number of Persons Served"] == [4, 4]
    assert q5a["Number of Children (Under Age 18)"] == [2, 2]
    assert q5a["Number of Persons with Unknown Age"] == [1, 1]
    children = t["Q7a"]["Children"]
    assert [children[TOTAL], children[WITH_CHILDREN], children[ONLY_CHILDREN]] == [2, 1, 1]
    assert t["Q7a"]["Total"][UNKNOWN] == 1
    assert t["Q11"]["Under 5"][TOTAL] == 2
    assert t["Q11"]["Data Not Collected"][TOTAL] == 1
