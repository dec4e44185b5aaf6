"""APR/CAPER Q7b and Q8b: presence on a point-in-time night is the resolved person's, as every other count.

A report's person is ``person_key`` (hmis.reports.universe): client records linked or merged are one
person. The PIT rows read every stay of that person (reports.md Q7b: "some stay covers the PIT
date"), so a stay of a linked record counts, and an unlinked record with a look-alike history does not.

Report range 2025-10-01 to 2026-09-30; the January night is 2026-01-28, April 2026-04-29.

  A  (source a) ES 2025-12-01 to 2026-02-15, HoH alone           } linked: one person, whose latest
  B  (source b) TH from 2026-03-01, HoH alone, stayer            } stay is B's (so the row is B's)
  G  (source a) ES 2025-12-01 to 2026-02-15, HoH alone           not linked to anyone
  F  (source b) TH from 2026-03-01, HoH alone, stayer            not linked to anyone

  January: A/B (through A's stay) and G -> 2 persons, 2 households (was 1 and 1: A's stay was matched
           by source and PersonalID, which B's row does not have)
  April:   A/B (B's stay) and F -> 2 persons, 2 households (G has exited, F is not G)
"""
from __future__ import annotations

import pytest

from hmis.extensions import db
from hmis.identity.resolved import refresh
from hmis.models import Client
from hmis.models.identity import ClientLink

from .builders import World
from .shipped_apr import shipped_tables


def _client_pk(world: World, personal_id: str) -> int:
    return db.session.query(Client.id).filter_by(data_source_id=world.source.id, personal_id=personal_id).scalar()


@pytest.mark.parametrize("report", ["apr", "caper"])
def test_pit_presence_reads_the_stays_of_linked_records(app, report):
    a_side, b_side = World("source-a"), World("source-b")
    es, th = a_side.project(0), b_side.project(2)
    a, g = a_side.client("1980-01-01"), a_side.client("1981-01-01")
    b, f = b_side.client("1980-01-01"), b_side.client("1981-01-01")
    a_side.enroll(a, es, "2025-12-01", exit="2026-02-15", destination=410)
    a_side.enroll(g, es, "2025-12-01", exit="2026-02-15", destination=410)
    b_side.enroll(b, th, "2026-03-01")
    b_side.enroll(f, th, "2026-03-01")
    first, second = sorted((_client_pk(a_side, a), _client_pk(b_side, b)))
    db.session.add(ClientLink(client_a_id=first, client_b_id=second, note="same person, two HMIS"))
    refresh([first, second])
    db.session.commit()

    found = shipped_tables(report, "Q5a", "Q7b", "Q8b")
    assert found["Q5a"]["Total Number of Persons Served"][1] == 3         # A/B once, G, F
    # columns: Total, Without Children, With Children and Adults, With Only Children, Unknown
    assert found["Q7b"]["January"] == [2, 2, 0, 0, 0]                     # A/B, G (was 1)
    assert found["Q7b"]["April"] == [2, 2, 0, 0, 0]                       # A/B, F
    assert found["Q8b"]["January"] == [2, 2, 0, 0, 0]                     # was 1
    assert found["Q8b"]["April"] == [2, 2, 0, 0, 0]
