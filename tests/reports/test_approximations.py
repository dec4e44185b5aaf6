"""The rules earlier sessions flagged as approximations, each settled by a case worked by hand.

Report range 2025-10-01 to 2026-09-30; its point-in-time nights (last Wednesdays) are
2025-10-29, 2026-01-28, 2026-04-29 and 2026-07-29. Every table is checked in the APR and the
CAPER, which share these rules.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from hmis.definitions.sync import sync_folder
from hmis.extensions import db
from hmis.models import HealthAndDV
from hmis.reports.parameters import ReportParameters
from hmis.reports.service import run_now

from .builders import END, START, d

ROOT = Path(__file__).resolve().parents[2]
ZERO5 = [0, 0, 0, 0, 0]


def _tables(key: str) -> dict[str, dict[str, list]]:
    results = run_now(key, ReportParameters(START, END))
    return {t["id"]: {row["label"]: row["cells"] for row in t["rows"]} for t in results["tables"]}


@pytest.fixture
def published(world):
    sync_folder(ROOT / "report_definitions")
    return world


@pytest.mark.parametrize("key", ["apr", "caper"])
def test_point_in_time_counts_every_stay_present_that_night(published, key):
    """Q7b/Q8b count a person present on the night on ANY stay, not only their latest:
      Z  ES 2025-12-01 to 2026-02-15, then TH from 2026-03-01: January through the ES stay (the
         latest stay, TH, had not started), April and July through TH.
      O  OPH (type 9) from 2026-01-01 with no move-in date: only PSH and RRH need a move-in.
      Q  HoH in ES night-by-night from 2026-01-01 with a bed night on 2026-02-10 only; R, Q's
         son, has one on the January night. January: R is present (Q7b), and the household counts
         through its head Q (Q8b) although Q had no bed night that night.
    """
    world = published
    es, th, oph, nbn = world.project(0), world.project(2), world.project(9), world.project(1)
    z, o, q, r = world.client(), world.client(), world.client(), world.client("2015-01-01")
    world.enroll(z, es, "2025-12-01", exit="2026-02-15", destination=302)
    world.enroll(z, th, "2026-03-01")
    world.enroll(o, oph, "2026-01-01")
    eq = world.enroll(q, nbn, "2026-01-01", household="QH")
    er = world.enroll(r, nbn, "2026-01-01", household="QH", relationship=2)
    world.bed_night(q, eq, "2026-02-10")
    world.bed_night(r, er, "2026-01-28")
    db.session.commit()
    tables = _tables(key)
    # Total | Without Children | With Children and Adults | With Only Children | Unknown
    assert tables["Q7b"] == {"January": [3, 2, 1, 0, 0], "April": [2, 2, 0, 0, 0], "July": [2, 2, 0, 0, 0],
                             "October": ZERO5}
    assert tables["Q8b"] == {"January": [3, 2, 1, 0, 0], "April": [2, 2, 0, 0, 0], "July": [2, 2, 0, 0, 0],
                             "October": ZERO5}


@pytest.mark.parametrize("key", ["apr", "caper"])
def test_domestic_violence_reads_the_latest_record_that_answers(published, key):
    """Q14a/Q14b (FY2026: when it happened, not FY2024's "currently fleeing"): M said yes, three to
    six months ago, at start; an update on 2026-06-01 only recorded "currently fleeing" (no
    survivor answer) and must not hide the answer. S said no at start."""
    world = published
    es = world.project(0)
    m, s = world.client(), world.client()
    em, es_ = world.enroll(m, es, "2026-01-01"), world.enroll(s, es, "2026-01-01")
    for personal_id, enrollment_id, on, survivor, when, fleeing, stage in (
            (m, em, "2026-01-01", 1, 2, 0, 1), (m, em, "2026-06-01", None, None, 1, 2),
            (s, es_, "2026-01-01", 0, None, None, 1)):
        db.session.add(HealthAndDV(data_source_id=world.source.id, health_and_dvid=world._id("H"),
                                   enrollment_id=enrollment_id, personal_id=personal_id, information_date=d(on),
                                   domestic_violence_survivor=survivor, when_occurred=when,
                                   currently_fleeing=fleeing, data_collection_stage=stage))
    db.session.commit()
    tables = _tables(key)
    assert tables["Q14a"]["Yes"] == [1, 1, 0, 0, 0] and tables["Q14a"]["No"] == [1, 1, 0, 0, 0]
    q14b = tables["Q14b"]
    assert list(q14b) == ["Within the past three months", "Three to six months ago", "Six months to one year",
                          "One year ago, or more", "Client Doesn't Know/Prefers Not to Answer",
                          "Data Not Collected", "Total"]
    assert q14b["Three to six months ago"] == [1, 1, 0, 0, 0] and q14b["Total"] == [1, 1, 0, 0, 0]


def test_parenting_youth_rows_go_by_the_head_of_households_age(published):
    """Q27b (HUD's shell: "Parent youth < 18" is a household headed by a youth under 18): a
    17-year-old HoH, a 19-year-old partner and their baby. Both parents are parenting youth and
    all of them are in the < 18 row, the partner included, because the head is 17."""
    world = published
    es = world.project(0)
    hoh, partner, baby = world.client("2008-11-01"), world.client("2006-06-01"), world.client("2025-06-01")
    world.enroll(hoh, es, "2026-01-01", household="Y")
    world.enroll(partner, es, "2026-01-01", household="Y", relationship=3)
    world.enroll(baby, es, "2026-01-01", household="Y", relationship=2)
    db.session.commit()
    q27b = _tables("apr")["Q27b"]
    # Total Parenting Youth | Total Children of Parenting Youth | Total Persons | Total Households
    assert q27b["Parent youth < 18"] == [2, 1, 3, 1]
    assert q27b["Parent youth 18 to 24"] == [0, 0, 0, 0]


@pytest.mark.parametrize("key", ["apr", "caper"])
def test_conditions_at_start_read_only_records_dated_by_report_end(published, key):
    """Q13a1: D1's start record (stage 1) says mental health disorder yes, dated on the start date;
    D2's start record was dated 2026-10-05, after report end, so HUD does not read it yet."""
    world = published
    es = world.project(0)
    d1, d2 = world.client(), world.client()
    e1, e2 = world.enroll(d1, es, "2026-01-01"), world.enroll(d2, es, "2026-01-01")
    world.disability(d1, e1, "2026-01-01", 9)
    world.disability(d2, e2, "2026-10-05", 9)
    db.session.commit()
    # Total | Without Children | Adults in HH w/ C&A | Children in HH w/ C&A | Only Children | Unknown
    assert _tables(key)["Q13a1"]["Mental Health Disorder"] == [1, 1, 0, 0, 0, 0]


@pytest.mark.parametrize("key", ["apr", "caper", "data-quality"])
def test_stayers_365_days_or_more_follow_the_heads_stay(published, key):
    """Q5a row 17 (DQ Q1 row 17): adult and HoH stayers of a household whose head has stayed 365
    days or more (night-by-night: 365 bed nights), plus adults who have themselves.
      L  HoH in PSH since 2024-06-01 and a partner who joined 2026-06-01: both count; their child not.
      L2 HoH since 2026-01-01; an adult member there since 2025-01-01 (365+ days): the member only.
      L3 HoH since 2024-01-01 who left 2026-03-01; their partner since 2026-01-01 stays: neither
         (the head is no stayer, the partner has under a year).
      N  HoH in ES night-by-night since 2024-06-01 with two bed nights: 2 nights, not 365.
    Expected 3 (L, L's partner, L2's member); counting days since the head's start would give 4.
    """
    world = published
    psh, nbn = world.project(3), world.project(1)
    people = {name: world.client("2015-01-01" if name == "Lchild" else "1980-01-01")
              for name in ("L", "Lp", "Lchild", "L2", "L2m", "L3", "L3p", "N")}
    world.enroll(people["L"], psh, "2024-06-01", household="L", move_in_date=date(2024, 7, 1))
    world.enroll(people["Lp"], psh, "2026-06-01", household="L", relationship=3)
    world.enroll(people["Lchild"], psh, "2024-06-01", household="L", relationship=2)
    world.enroll(people["L2"], psh, "2026-01-01", household="L2")
    world.enroll(people["L2m"], psh, "2025-01-01", household="L2", relationship=3)
    world.enroll(people["L3"], psh, "2024-01-01", household="L3", exit="2026-03-01", destination=410)
    world.enroll(people["L3p"], psh, "2026-01-01", household="L3", relationship=3)
    en = world.enroll(people["N"], nbn, "2024-06-01")
    world.bed_night(people["N"], en, "2025-11-01")
    world.bed_night(people["N"], en, "2026-02-01")
    db.session.commit()
    tables = _tables(key)
    q5a = tables["Q1" if key == "data-quality" else "Q5a"]
    assert q5a["Heads of Households and Adult Stayers in the Project 365 Days or More"][-1] == 3
