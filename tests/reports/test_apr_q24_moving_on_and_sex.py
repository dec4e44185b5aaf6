"""APR Q24b (Moving On Assistance in PSH) and Q24e (Sex), worked by hand.

Report range 2025-10-01 to 2026-09-30. Columns: Total | Without Children | With Children and
Adults | With Only Children | Unknown Household Type.

  H1  PSH HoH alone (female): Moving On services type 1 (2025-11-01) and 2 (2026-09-30, the last
      day), and type 4 dated 2025-09-30, before the range (not counted)
  H2  PSH HoH (male) with a child C2 (sex not collected, 99): type 5 twice (one HoH, counted once);
      the child's own type 3 service is not counted (HoH only)
  H3  RRH HoH alone (sex refused, 9): type 1, but RRH is not PSH
  H4  PSH HoH alone, no sex recorded (null): type 3 deleted (not counted)

Q24b  type 1: H1 | type 2: H1 | type 3: none | type 4: none | type 5: H2 (with children)
Q24e  Female H1 | Male H2 | DK/PNTA H3 | Data not collected C2, H4 | Total 5
"""
from __future__ import annotations

from datetime import datetime

import pytest

from hmis.extensions import db
from hmis.models import Services

from .builders import d
from .shipped_apr import apr_tables, by_label

MOA_ROWS = ["Subsidized housing application assistance",
            "Financial assistance for Moving On (e.g., security deposit, moving expenses)",
            "Non-financial assistance for Moving On (e.g., housing navigation, transition support)",
            "Housing referral/placement", "Other"]


@pytest.fixture
def q24(world):
    psh, rrh = world.project(3), world.project(13)

    def stay(project, sex, *, household=None, relationship=1, dob="1980-01-01"):
        person = world.client(dob, sex=sex)
        return person, world.enroll(person, project, "2025-06-01", household=household, relationship=relationship)

    def moving_on(who, on, kind, deleted=False):
        db.session.add(Services(data_source_id=world.source.id, services_id=world._id("S"), enrollment_id=who[1],
                                personal_id=who[0], date_provided=d(on), record_type=300, type_provided=kind,
                                date_deleted=datetime(2026, 1, 1) if deleted else None))
        db.session.flush()

    h1 = stay(psh, 0)
    moving_on(h1, "2025-11-01", 1)
    moving_on(h1, "2026-09-30", 2)
    moving_on(h1, "2025-09-30", 4)
    h2 = stay(psh, 1, household="H2")
    c2 = stay(psh, 99, household="H2", relationship=2, dob="2015-01-01")
    moving_on(h2, "2026-01-01", 5)
    moving_on(h2, "2026-02-01", 5)
    moving_on(c2, "2026-01-01", 3)
    h3 = stay(rrh, 9)
    moving_on(h3, "2026-01-01", 1)
    h4 = stay(psh, None)
    moving_on(h4, "2026-01-01", 3, deleted=True)
    db.session.commit()
    return apr_tables("Q24b", "Q24e", "Q7a")


def test_q24b_moving_on_assistance_for_psh_households(q24):
    t = by_label(q24["Q24b"])
    assert list(t) == MOA_ROWS
    assert t[MOA_ROWS[0]] == [1, 1, 0, 0, 0]
    assert t[MOA_ROWS[1]] == [1, 1, 0, 0, 0]
    assert t[MOA_ROWS[2]] == [0, 0, 0, 0, 0]
    assert t[MOA_ROWS[3]] == [0, 0, 0, 0, 0]
    assert t[MOA_ROWS[4]] == [1, 0, 1, 0, 0]


def test_q24e_sex(q24):
    t = by_label(q24["Q24e"])
    assert t == {
        "Female": [1, 1, 0, 0, 0],
        "Male": [1, 0, 1, 0, 0],
        "Client Doesn't Know/Prefers Not to Answer": [1, 1, 0, 0, 0],
        "Data Not Collected": [2, 1, 1, 0, 0],
        "Total": [5, 3, 2, 0, 0],
    }
    # the same people as Q7a, every one in exactly one row
    assert t["Total"] == by_label(q24["Q7a"])["Total"]
    assert [sum(cells) for cells in zip(*list(t.values())[:4])] == t["Total"]
