"""APR Q25b (veteran households), Q25d (age), Q25i (destination) and Q25j (subsidy), by hand.

Report range 2025-10-01 to 2026-09-30, everyone in an ES entry/exit project. Q25b/Q25d/Q25j
columns: Total | Without Children | With Children and Adults | Unknown Household Type; Q25i has
With Only Children too (before Unknown).

  H1  V1 alone, veteran, born 1980 (45), chronically homeless (disabled, 4+ times, 12+ months),
      left 2026-03-01 to rental with subsidy (435), VASH (419)
  H2  V2 alone, veteran, born 1960-06-01 (65), not CH, left 2026-03-01 to a place not meant for
      habitation (116)
  H3  N3 (HoH, not a veteran) + V3 (partner, veteran, born 1990: 35, a stayer) + child K3
  H4  D4 (HoH, veteran status 8) + X4 (partner, not a veteran): "not a veteran" outranks DK/PNTA
  H5  M5 alone, veteran status 99
  H6  U6 alone, no date of birth (not collected), veteran: unknown household type, no known adult
  H7  K7 alone, 16: a household with only children (not in Q25b)
  H8  V8 alone, veteran, born 2000 (25), left 2026-03-01 to 435 with no subsidy type
  H9  R9 alone, veteran status 9

Q25b  CH veteran H1 | veteran H2, H3, H8 | not a veteran H4 | DK/PNTA H9 | not collected H5, H6
Q25d  veterans who are not children: 25-34 V8 | 35-44 V3 | 45-54 V1 | 65+ V2 | not collected U6
Q25i  veteran leavers V1 (435), V2 (116), V8 (435): positive 2 of 3 (0.6667)
Q25j  V1 VASH; V8 (no subsidy type) in no row, so not in Total
"""
from __future__ import annotations

import pytest

from hmis.extensions import db

from .shipped_apr import apr_tables, by_label


@pytest.fixture
def q25(world):
    es = world.project(0)

    def stay(dob, veteran, *, household=None, relationship=1, exit=None, destination=None, subsidy=None, **fields):
        person = world.client(dob, veteran_status=veteran)
        world.enroll(person, es, "2025-11-01", household=household, relationship=relationship, exit=exit,
                     destination=destination,
                     exit_fields={"destination_subsidy_type": subsidy} if subsidy else None, **fields)

    stay("1980-01-01", 1, exit="2026-03-01", destination=435, subsidy=419, disabling_condition=1,
         living_situation=116, times_homeless_past_three_years=4, months_homeless_past_three_years=112)  # V1
    stay("1960-06-01", 1, exit="2026-03-01", destination=116)                                           # V2
    stay("1985-01-01", 0, household="H3")                                                               # N3
    stay("1990-01-01", 1, household="H3", relationship=3)                                               # V3
    stay("2015-01-01", None, household="H3", relationship=2)                                            # K3
    stay("1975-01-01", 8, household="H4")                                                               # D4
    stay("1976-01-01", 0, household="H4", relationship=3)                                               # X4
    stay("1970-01-01", 99)                                                                              # M5
    stay(None, 1)                                                                                       # U6
    stay("2009-06-01", None)                                                                            # K7
    stay("2000-01-01", 1, exit="2026-03-01", destination=435)                                           # V8
    stay("1965-01-01", 9)                                                                               # R9
    db.session.commit()
    return apr_tables("Q25a", "Q25b", "Q25d", "Q25i", "Q25j", "Q8a")


def test_q25b_veteran_households(q25):
    t = by_label(q25["Q25b"])
    assert t == {
        "Chronically Homeless Veteran": [1, 1, 0, 0],
        "Non-Chronically Homeless Veteran": [3, 2, 1, 0],
        "Not a Veteran": [1, 1, 0, 0],
        "Client Doesn't Know/Prefers Not to Answer": [1, 1, 0, 0],
        "Data Not Collected": [2, 1, 0, 1],
        "Total": [8, 6, 1, 1],
    }


def test_q25b_agrees_with_q8a_and_q25a(q25):
    q25b, q8a, q25a = by_label(q25["Q25b"]), by_label(q25["Q8a"]), by_label(q25["Q25a"])
    households = q8a["Total Households"]          # Total, Without, With C&A, Only Children, Unknown
    assert q25b["Total"] == [households[0] - households[3], households[1], households[2], households[4]]
    # a household with a CH veteran has at least one; one CH veteran per household here
    assert q25b["Chronically Homeless Veteran"][0] == q25a["Chronically Homeless Veteran"][0] == 1
    veterans = q25a["Chronically Homeless Veteran"][0] + q25a["Non-Chronically Homeless Veteran"][0]
    assert q25b["Chronically Homeless Veteran"][0] + q25b["Non-Chronically Homeless Veteran"][0] <= veterans


def test_q25d_age_of_veterans(q25):
    t = by_label(q25["Q25d"])
    assert list(t) == ["18 - 24", "25 - 34", "35 - 44", "45 - 54", "55 - 64", "65+",
                       "Client Doesn't Know/Prefers Not to Answer", "Data Not Collected", "Total"]
    assert t["18 - 24"] == [0, 0, 0, 0]
    assert t["25 - 34"] == [1, 1, 0, 0]
    assert t["35 - 44"] == [1, 0, 1, 0]
    assert t["45 - 54"] == [1, 1, 0, 0]
    assert t["65+"] == [1, 1, 0, 0]
    assert t["Data Not Collected"] == [1, 0, 0, 1]
    assert t["Total"] == [5, 3, 1, 1]


def test_q25i_destinations_of_veterans(q25):
    rows = q25["Q25i"]
    assert len(rows) == 42 and len(rows[0][1]) == 5                  # HUD's Q23c shell, five columns
    labels = [label for label, _ in rows]
    assert rows[0] == ("Homeless Situations", [None] * 5)             # a section header: blank
    assert rows[1][1] == [1, 1, 0, 0, 0]                              # 116 (the first homeless row): V2
    assert rows[4] == ("Subtotal", [1, 1, 0, 0, 0])                 # homeless subtotal
    assert rows[5] == ("Institutional Situations", [None] * 5)
    total, positive, excluded, percentage = (c for _, c in rows[-4:])
    assert [label for label, _ in rows[-4:]][0] == "Total"
    assert total == [3, 3, 0, 0, 0] and positive == [2, 2, 0, 0, 0] and excluded == [0] * 5
    assert percentage[:2] == [0.6667, 0.6667] and percentage[2] is None   # no leavers: no rate
    permanent_subtotal = rows[labels.index("Permanent Situations") + 8][1]
    assert permanent_subtotal == [2, 2, 0, 0, 0]                      # V1 and V8 to 435


def test_q25j_subsidy_types_of_veterans(q25):
    rows = q25["Q25j"]
    assert len(rows) == 12 and [len(c) for _, c in rows] == [4] * 12
    vash = next(cells for label, cells in rows if "VASH" in label)
    assert vash == [1, 1, 0, 0]
    assert rows[-1] == ("Total", [1, 1, 0, 0])                        # V8 has no subsidy type
