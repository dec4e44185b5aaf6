"""APR/CAPER data-quality tables (Q6a, Q6b, Q6d, Q6f) as HUD's answer key counts them (HUD Data Lab,
APR_and_CAPER_FY26.R and datalab_functions.R), worked by hand. Report range 2025-10-01 to 2026-09-30;
"was" is what the old rule gave, so each test fails on it. The CAPER's Q6 tables are the APR's.

Q6a row "Date of Birth (3.03)" (create_dq_Q1): DK/PNTA, missing, data issues
    A  no DOB, quality 2 (partial)          -> data issue (was missing)
    B  no DOB, quality 1 (full)             -> none: Data Lab finds no rule for it (was missing)
    C  no DOB, quality 99                   -> missing
    D  no DOB, quality 8                    -> DK/PNTA
    E  DOB 1980-01-01, quality 99           -> data issue
    F  DOB 1980-01-01, quality blank        -> missing (was none)
  DK 1, missing 2 (was 3), issues 2 (was 1), total 5 (was 5).

Q6b row "Project Start Date (3.10)": an earlier stay in the same project that exited after this start
    P  ES 2025-09-01 to 2025-12-01, then ES from 2025-11-01            -> issue
    Q  ES from 2025-08-01 (no exit), then ES from 2025-11-01          -> none (was issue)
    R  two ES stays started 2025-11-01, neither exited                -> none (was issue)
    T  ES 2025-11-01 "exited" 2025-10-20, before its start             -> issue (was none)
  issues 2 (was 3).

Q6d: adults and HoH who started on or after 2016-10-01 (was: after)
    H  TH from 2016-10-01, homeless before (116), no 3.917.3 date      -> TH row, date missing (was absent)
    G  TH from 2016-09-30, the same                                     -> absent

Q6f: stays with no exit, started 90 days or more before report end (by 2026-07-02). Contact row:
every client of ES night-by-night, street outreach (engaged) and PATH-funded SSO; inactive with no
4.12 record from 2026-07-02 on. Bed night row: ES night-by-night.
    O1 SO adult, contact 2026-08-15                                    -> active
    O2 SO adult, contact 2026-05-01 only                               -> inactive
    O3 O2's child (member), no contact                                 -> inactive (was not in the row)
    N1 ES-NbN adult, bed night 2026-09-01, no contact                  -> contact row inactive (was not
                                                                          in it); bed night row active
    O4 SO adult started and engaged 2026-07-02, no contact              -> inactive (was active: the
                                                                          start counted as a contact)
    O5 SO adult 2025-11-01 to 2026-10-15 (after report end), contact 2026-08-01 -> not in the table
                                                                          (was counted, active)
  Contact: records 5 (was 4), inactive 4 (was 1), 0.8 (was 0.25). Bed night: 1 record, 0 inactive.
"""
from __future__ import annotations

import pytest

from hmis.extensions import db
from hmis.models import CurrentLivingSituation

from .builders import d
from .shipped_apr import shipped_tables

REPORTS = ["apr", "caper"]


def _contact(world, personal_id: str, enrollment_id: str, on: str, situation: int = 116) -> None:
    db.session.add(CurrentLivingSituation(
        data_source_id=world.source.id, current_living_sit_id=world._id("CLS"), enrollment_id=enrollment_id,
        personal_id=personal_id, information_date=d(on), current_living_situation=situation))
    db.session.flush()


# --------------------------------------------------------------------------- Q6a
@pytest.mark.parametrize("report", REPORTS)
def test_q6a_date_of_birth_quality_as_the_answer_key(world, report):
    es = world.project(0)
    for dob, quality in ((None, 2), (None, 1), (None, 99), (None, 8), ("1980-01-01", 99), ("1980-01-01", None)):
        world.enroll(world.client(dob, dob_data_quality=quality), es, "2025-11-01")
    db.session.commit()
    row = shipped_tables(report, "Q6a")["Q6a"]["Date of Birth (3.03)"]
    assert row[:4] == [1, 2, 2, 5]


# --------------------------------------------------------------------------- Q6b
@pytest.mark.parametrize("report", REPORTS)
def test_q6b_project_start_overlap_needs_an_earlier_stay_that_exited_after_it(world, report):
    es = world.project(0)
    p = world.client()
    world.enroll(p, es, "2025-09-01", exit="2025-12-01")
    world.enroll(p, es, "2025-11-01")
    q = world.client()
    world.enroll(q, es, "2025-08-01")
    world.enroll(q, es, "2025-11-01")
    r = world.client()
    world.enroll(r, es, "2025-11-01")
    world.enroll(r, es, "2025-11-01")
    world.enroll(world.client(), es, "2025-11-01", exit="2025-10-20")
    db.session.commit()
    row = shipped_tables(report, "Q6b")["Q6b"]["Project Start Date (3.10)"]
    assert row[:4] == [0, 0, 2, 2]


# --------------------------------------------------------------------------- Q6d
@pytest.mark.parametrize("report", REPORTS)
def test_q6d_counts_a_start_on_2016_10_01(world, report):
    th = world.project(2)
    world.enroll(world.client(), th, "2016-10-01", living_situation=116)
    world.enroll(world.client(), th, "2016-09-30", living_situation=116)
    db.session.commit()
    th_row = shipped_tables(report, "Q6d")["Q6d"]["TH"]
    assert th_row[0] == 1            # Count of Total Records
    assert th_row[3] == 1            # Approximate Date Started (3.917.3) DK/PNTA/Missing


# --------------------------------------------------------------------------- Q6f
@pytest.fixture
def inactive_world(world):
    so, nbn = world.project(4), world.project(1)
    engaged = {"date_of_engagement": d("2025-12-01")}

    o1 = world.client()
    _contact(world, o1, world.enroll(o1, so, "2025-11-01", **engaged), "2026-08-15")
    o2 = world.client()
    o2_stay = world.enroll(o2, so, "2025-11-01", household="H-O2", **engaged)
    _contact(world, o2, o2_stay, "2026-05-01")
    world.enroll(world.client("2015-01-01"), so, "2025-11-01", household="H-O2", relationship=2, **engaged)  # O3
    n1 = world.client()
    world.bed_night(n1, world.enroll(n1, nbn, "2025-11-01"), "2026-09-01")
    world.enroll(world.client(), so, "2026-07-02", date_of_engagement=d("2026-07-02"))                 # O4
    o5 = world.client()
    _contact(world, o5, world.enroll(o5, so, "2025-11-01", exit="2026-10-15", **engaged), "2026-08-01")
    db.session.commit()


@pytest.mark.parametrize("report", REPORTS)
def test_q6f_inactive_records_as_the_answer_key(inactive_world, report):
    q6f = shipped_tables(report, "Q6f")["Q6f"]
    assert q6f["Contact (Adults and Heads of Household in Street Outreach or PATH-funded SSO)"] == [5, 4, 0.8]
    assert q6f["Bed Night (All clients in ES - NBN)"] == [1, 0, 0.0]
