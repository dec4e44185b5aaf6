"""APR/CAPER Q21 (health insurance) and Q23c (exit destination) as HUD's answer key counts them (HUD
Data Lab, APR_and_CAPER_FY26.R), worked by hand. Report range 2025-10-01 to 2026-09-30; everyone is an
adult alone in an ES. "was" is what the old rule gave, so each test fails on it.

Q21: sorted by how many insurance sources say yes first, then by 4.04 "covered by health insurance".
  Start records on the start date:
    I1  ES from 2026-01-01, covered 1 but no source ticked   -> No Health Insurance (was in no row)
    I2  ES from 2026-01-01, covered 0 but Medicaid 1          -> 1 source (was No Health Insurance)
    I3  ES from 2026-01-01, covered 8, Medicaid and Medicare 1 -> more than 1 source (was DK/PNTA)
    I4  ES from 2026-01-01, no start record                   -> Data Not Collected
    I5  ES from 2024-11-01, covered 1, Medicaid 1; a stayer owed an annual assessment (anniversary
        2025-11-01) with no annual record                     -> start: 1 source; annual: Data Not
                                                                  Collected (was in no row)
  At start: none 1, 1 source 2 (was 1), more than 1 1 (was 0), DK/PNTA 0 (was 1), not collected 1.
  Annual: not yet required 4 (I1-I4), not collected 1 (was 0).

Q23c: a leaver with no destination at all is in no row and not in the total.
    L1  left 2026-03-01, no destination   -> nowhere (was "data not collected" and in the total)
    L2  left 2026-03-01, destination 99   -> data not collected
    L3  left 2026-03-01, destination 410  -> positive
  Data not collected 1 (was 2), total 2 (was 3), percentage 0.5 (was 0.3333).
"""
from __future__ import annotations

import pytest

from hmis.extensions import db

from .shipped_apr import report_tables

REPORTS = ["apr", "caper"]
START_COLUMN, ANNUAL_COLUMN = 0, 1


def _unique_rows(report: str, table: str) -> dict[str, list]:
    """Rows by label, leaving out the labels a table repeats (Subtotal)."""
    rows = report_tables(report, table)[table]
    labels = [label for label, _ in rows]
    return {label: cells for label, cells in rows if labels.count(label) == 1}


@pytest.fixture
def insured(world):
    es = world.project(0)

    def adult(entry: str, **start_record) -> None:
        person = world.client()
        stay = world.enroll(person, es, entry)
        if start_record:
            world.income(person, stay, entry, 1, **start_record)

    adult("2026-01-01", insurance_from_any_source=1)                              # I1
    adult("2026-01-01", insurance_from_any_source=0, medicaid=1)                  # I2
    adult("2026-01-01", insurance_from_any_source=8, medicaid=1, medicare=1)      # I3
    adult("2026-01-01")                                                           # I4
    adult("2024-11-01", insurance_from_any_source=1, medicaid=1)                  # I5
    db.session.commit()


@pytest.mark.parametrize("report", REPORTS)
def test_q21_sorts_by_the_sources_then_by_covered(insured, report):
    q21 = _unique_rows(report, "Q21")
    at_start = {label: cells[START_COLUMN] for label, cells in q21.items()}
    assert at_start["Medicaid"] == 3
    assert at_start["No Health Insurance"] == 1
    assert at_start["1 Source of Health Insurance"] == 2
    assert at_start["More than 1 Source of Health Insurance"] == 1
    assert at_start["Client Doesn't Know/Prefers Not to Answer"] == 0
    assert at_start["Data Not Collected"] == 1
    assert q21["Number of Stayers Not Yet Required to Have an Annual Assessment"][ANNUAL_COLUMN] == 4
    assert q21["Data Not Collected"][ANNUAL_COLUMN] == 1


@pytest.mark.parametrize("report", REPORTS)
def test_q23c_a_leaver_without_destination_is_in_no_row(world, report):
    es = world.project(0)
    for destination in (None, 99, 410):
        world.enroll(world.client(), es, "2026-01-01", exit="2026-03-01", destination=destination)
    db.session.commit()
    q23c = _unique_rows(report, "Q23c")
    assert q23c["Data Not Collected (no exit interview completed)"][0] == 1
    assert q23c["Total"][0] == 2
    assert q23c["Total persons exiting to positive housing destinations"][0] == 1
    assert q23c["Percentage"][0] == 0.5
