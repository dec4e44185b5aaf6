"""APR Q22f (start to move-in) and Q22g (3.917.3 date to housing) by race and ethnicity, by hand.

Report range 2025-10-01 to 2026-09-30. Columns: the ten race and ethnicity groups, no Total.
"ADHS" is 3.917.3, the approximate date homelessness started.

  R1  White, RRH HoH alone from 2025-11-01, moved in 2025-11-21 (20 days); ADHS 2025-10-22 (30 days)
  R2  White, RRH HoH alone from 2025-10-01, moved in 2025-10-11 (10 days); no ADHS
  R3  Asian, PSH HoH alone 2025-12-01 to 2026-03-01, never moved in; ADHS 2025-01-01
  R4  Black, PSH HoH alone since 2024-01-01, moved in 2024-02-01 (before the range: not in Q22f);
      ADHS 2023-12-01 (62 days to the move-in)
  R5  Black and Hispanic, RRH HoH alone from 2026-01-01, moved in 2026-01-31 (30 days); ADHS on the start
  R6  race refused, RRH HoH alone from 2026-02-01, not moved in, a stayer (in neither table)
  R7  White, ES adult alone from 2025-11-01; ADHS 2025-08-03 (90 days; housed = start in ES)
  R8  White, RRH HoH from 2026-02-01, moved in 2026-03-01 (28 days); ADHS 2025-12-01 (90 days)
  K8  White, R8's child, joined 2026-03-10 after the move-in (moved in on her start: 0 days);
      left out of Q22g (a child who joined after the HoH has no date of her own)
  R9  Asian, TH adult alone from 2025-11-01 with ADHS 2025-12-01, after the start (left out of Q22g)
  R10 Native Hawaiian, PSH HoH from 2026-06-01, move-in 2026-10-15 after report end; ADHS 2026-01-01
      (Q22g: not yet moved in)
  R11 White, ES HoH from 2026-02-01, ADHS 2025-02-01 (365 days); K11 her child, same start, no ADHS
      of his own: takes the HoH's (365 days)
  R12 Asian, PSH HoH alone 2026-01-01 to 2026-05-01 with a move-in date 2026-10-20, after report end:
      he left without moving in, but his household has a move-in date outside the range (not in Q22f
      nor Q22c); no ADHS (not in Q22g)

Q22f  White: moved in R1 20, R2 10, R8 28, K8 0 -> 4, average 14.5, median (10 + 20) / 2 = 15
      Asian: exited without move-in R3 -> 1;  At Least 1 Race and Hispanic: R5 30
Q22g  White: R1 30, R7 90, R8 90, R11 365, K11 365 -> 5, average 188, median 90
      Black: R4 62;  At Least 1 Race and Hispanic: R5 30 (RRH: housed on the move-in);  Native Hawaiian: not yet moved in R10
"""
from __future__ import annotations

from datetime import date

import pytest

from hmis.extensions import db

from .shipped_apr import apr_tables, by_label

WHITE, ASIAN, BLACK, NHPI, HISP_AND_RACE = 6, 1, 2, 5, 7


@pytest.fixture
def q22(world):
    rrh, psh, es, th = world.project(13), world.project(3), world.project(0), world.project(2)

    def stay(project, entry, *, race, exit=None, move_in=None, adhs=None, household=None, relationship=1,
             dob="1980-01-01"):
        person = world.client(dob, **race)
        world.enroll(person, project, entry, exit=exit, destination=410 if exit else None, household=household,
                     relationship=relationship, move_in_date=date.fromisoformat(move_in) if move_in else None,
                     date_to_street_essh=date.fromisoformat(adhs) if adhs else None)

    white, asian, black = {"white": 1}, {"asian": 1}, {"black_af_american": 1}
    stay(rrh, "2025-11-01", race=white, move_in="2025-11-21", adhs="2025-10-22")             # R1
    stay(rrh, "2025-10-01", race=white, move_in="2025-10-11")                                 # R2
    stay(psh, "2025-12-01", race=asian, exit="2026-03-01", adhs="2025-01-01")                 # R3
    stay(psh, "2024-01-01", race=black, move_in="2024-02-01", adhs="2023-12-01")              # R4
    stay(rrh, "2026-01-01", race={"black_af_american": 1, "hispanic_latinao": 1}, move_in="2026-01-31",
         adhs="2026-01-01")                                                                   # R5
    stay(rrh, "2026-02-01", race={"race_none": 9})                                            # R6
    stay(es, "2025-11-01", race=white, adhs="2025-08-03")                                     # R7
    stay(rrh, "2026-02-01", race=white, move_in="2026-03-01", adhs="2025-12-01", household="H8")   # R8
    stay(rrh, "2026-03-10", race=white, household="H8", relationship=2, dob="2018-01-01")     # K8
    stay(th, "2025-11-01", race=asian, adhs="2025-12-01")                                     # R9
    stay(psh, "2026-06-01", race={"native_hi_pacific": 1}, move_in="2026-10-15", adhs="2026-01-01")  # R10
    stay(es, "2026-02-01", race=white, adhs="2025-02-01", household="H11")                    # R11
    stay(es, "2026-02-01", race=white, household="H11", relationship=2, dob="2020-01-01")     # K11
    stay(psh, "2026-01-01", race=asian, exit="2026-05-01", move_in="2026-10-20")             # R12
    db.session.commit()
    return apr_tables("Q22f", "Q22g", "Q22c", "Q22e")


def test_q22f_start_to_move_in_by_race(q22):
    t = by_label(q22["Q22f"])
    assert list(t) == ["Persons Moved into housing", "Persons who were exited without move-in",
                       "Average time to Move-In", "Median time to Move-In"]
    moved, exited, average, median = t.values()
    assert len(moved) == 10
    assert moved == [0, 0, 0, 0, 0, 0, 4, 1, 0, 0]
    assert exited == [0, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    assert average[WHITE] == 14.5 and median[WHITE] == 15
    assert average[HISP_AND_RACE] == 30 and median[HISP_AND_RACE] == 30
    # nobody moved in: HUD's answer key writes 0 for an average or median over nobody
    assert average[ASIAN] == 0 and median[BLACK] == 0


def test_q22g_time_prior_to_housing_by_race(q22):
    t = by_label(q22["Q22g"])
    moved, not_yet, average, median = t.values()
    assert moved == [0, 0, 1, 0, 0, 0, 5, 1, 0, 0]
    assert not_yet == [0, 0, 0, 0, 0, 1, 0, 0, 0, 0]
    assert average[WHITE] == 188 and median[WHITE] == 90
    assert average[BLACK] == 62 and average[HISP_AND_RACE] == 30
    # an average over nobody is 0 in HUD's answer key
    assert average[ASIAN] == 0                                     # R3 never housed, R9's date is after his start
    assert average[NHPI] == 0                                      # R10 is not housed yet


def test_q22f_q22g_add_up_to_q22c_q22e(q22):
    q22c, q22e = by_label(q22["Q22c"]), by_label(q22["Q22e"])
    moved_f, exited_f = by_label(q22["Q22f"])["Persons Moved into housing"], \
        by_label(q22["Q22f"])["Persons who were exited without move-in"]
    # every person is in exactly one race group, so the groups add up to Q22c's Total column
    assert sum(moved_f) == q22c["Total (persons moved into housing)"][0] == 5
    # R12 left without moving in while his household's move-in date is outside the range: in neither
    # table (Q22c used to count him - a wrong rule, fixed to HUD's Data Lab code - see test_apr_rule_fixes)
    assert sum(exited_f) == 1 and q22c["Persons who were exited without move-in"][0] == 1
    # here nobody housed has a 3.917.3 date after the start, so Q22g's housed equal Q22e's
    assert sum(by_label(q22["Q22g"])["Persons Moved into housing"]) == q22e["Total (persons moved into housing)"][0]
