"""Household propagation of chronic homelessness reads members who left before the report range.

reports.md §1.1: "If any HoH/adult present at household start is CH=YES, everyone present at household
start is CH ... Determining this can require data on members who left before the report range."
HUD's Data Lab code takes the household's first start and its members' status from every stay of the
household, not only the stays active in the range. The old rule looked at active stays only.

Report range 2025-10-01 to 2026-09-30. One ES household:

  P  adult partner, 2024-06-01 to 2025-03-01 (left before the range): disabling condition yes,
     from the street (116) since 2022-01-01 -> chronically homeless at start; not in the universe
  H  HoH from 2024-06-01, stayer, disabling condition no        -> yes: there at the household's start
  C  child (born 2018) from 2024-06-01, stayer                  -> yes: there at the household's start
  J  adult who joined 2025-01-01, stayer, disabling condition no -> no: joined later, keeps his own

  Q26b With Children and Adults: chronically homeless 2 (H, C; was 0), not 1 (J; was 3), total 3.
  Q5a row 12 (chronically homeless persons): 2 (was 0).
  Q26a (households, after propagation as Q26b): this household is chronically homeless (was not).

A second household shows the first start is the household's, not the HoH's: Q (adult, chronically
homeless, 2024-03-01 to 2025-02-01) began it; its HoH K came 2024-04-01 (disabling condition no) and
stays: K was not there at the start, so K stays not chronically homeless (Without Children, no: 1),
and so does the household in Q26a.
"""
from __future__ import annotations

import pytest

from hmis.extensions import db

from .builders import d
from .shipped_apr import shipped_tables

#: disabled, from the street, homeless since 2022: chronically homeless at any start from 2023 on
CHRONIC_AT_START = {"disabling_condition": 1, "living_situation": 116, "date_to_street_essh": d("2022-01-01")}


@pytest.mark.parametrize("report", ["apr", "caper"])
def test_chronic_status_spreads_from_a_member_who_left_before_the_range(world, report):
    es = world.project(0)

    def member(household, dob, entry, relationship, *, exit=None, **fields):
        person = world.client(dob)
        world.enroll(person, es, entry, exit=exit, household=household, relationship=relationship,
                     destination=410 if exit else None, **fields)

    member("HH", "1985-01-01", "2024-06-01", 3, exit="2025-03-01", **CHRONIC_AT_START)   # P
    member("HH", "1984-01-01", "2024-06-01", 1)                                 # H
    member("HH", "2018-01-01", "2024-06-01", 2)                                 # C
    member("HH", "1990-01-01", "2025-01-01", 3)                                 # J
    member("HQ", "1970-01-01", "2024-03-01", 3, exit="2025-02-01", **CHRONIC_AT_START)   # Q
    member("HQ", "1971-01-01", "2024-04-01", 1)                                 # K
    db.session.commit()

    found = shipped_tables(report, "Q5a", "Q26b", *(["Q26a"] if report == "apr" else []))   # no Q26a in the CAPER
    assert found["Q5a"]["Number of Chronically Homeless Persons"] == [2, 2]     # H, C (was 0)
    q26b = found["Q26b"]
    # columns: Total, Without Children, With Children and Adults, With Only Children, Unknown
    assert q26b["Chronically Homeless"] == [2, 0, 2, 0, 0]                      # H, C
    assert q26b["Not Chronically Homeless"] == [2, 1, 1, 0, 0]                  # K; J
    assert q26b["Total"] == [4, 1, 3, 0, 0]
    if report == "apr":
        q26a = found["Q26a"]
        assert q26a["Chronically Homeless"] == [1, 0, 1, 0, 0]                  # HH (was 0)
        assert q26a["Not Chronically Homeless"] == [1, 1, 0, 0, 0]              # HQ
