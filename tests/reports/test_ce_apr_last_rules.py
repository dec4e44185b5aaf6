"""CE APR: the last rules checked against HUD's answer key (HUD-Data-Lab/DataLab CE_APR.R), worked by hand.

Report range 2025-10-01 to 2026-09-30. Household-type cells are
[Total, Without Children, With Children and Adults, With Only Children, Unknown Household Type].

1. DataLab keeps each PERSON's latest assessment first (most_recent_assessment, by PersonalID), then each
   household's latest of those (enrollment_recent_assessment): a household whose assessed member has a
   later assessment in another household loses that assessment.
     H   head of HA in CE1 2026-01-01..05-01 with a child, assessed 03-05; then head of HB in CE2 from
         2026-05-15, assessed 06-01 (H's latest). HA has no assessment left: the child is not counted.
         Q5a: 1 person, no child (old: 2 and 1).
   The person's later assessment counts only when DataLab's relevant_assessments keeps it: in range, at an
   access point, of the run's CoC. With HB in CE2 of CoC XX-502 and --coc XX-501, HA keeps 03-05: H and
   the child are counted by HA (Q5a 2, a child 1), without --coc HB's wins (Q5a 1 person, no child).
     M   member (adult) of HC in CE1 from 2026-01-01, assessed there 03-05 (prioritized); then head of HM in
         CE2 from 2026-05-15, assessed 06-01 (prioritized, M's latest). HC's head G (from 2026-01-01) was
         assessed 02-01 (not prioritized), and N joined HC on 2026-03-01. HC's latest is G's 02-01 (M's 03-05
         is dropped): N, not there on 02-01, is not counted, and HC is "not prioritized" (G's record, not M's).
         Q5a: 2 persons (G by HC, M by HM; old: 3, N by HC's 03-05); Q9b: placed 1 (HM), not placed 1 (HC);
         old: placed 2, not placed 0.
2. Q4a lists every continuum project that was an access point in the range, of any CoC: DataLab's
   CE_element_projects has no CoC filter; the CoC applies to the activity records (relevant_assessments,
   relevant_events) only. With --coc XX-501, CE2 of XX-502 is a row of zeros even with an assessment in it
   (old: no CE2 row).
"""
from __future__ import annotations

from typing import Any


from hmis.extensions import db

from .builders import World
from .shipped_apr import shipped_results
from .shipped_apr import rows_by_label as _rows


def _run(*table_ids: str, coc: tuple[str, ...] = ()) -> dict[str, dict[str, Any]]:
    """{table id: result} of the shipped CE APR, with only ``table_ids``."""
    return shipped_results("ce-apr", *table_ids, coc=coc)


def _ce_project(world: World, project_id: str, coc: str = "XX-501") -> str:
    project = world.project(14, project_id=project_id, name=project_id, coc=coc)
    world.ce_access_point(project)
    return project


def _reassessed_elsewhere(world: World, second_coc: str = "XX-501") -> None:
    """H: assessed with a child in CE1 (HA), then alone in CE2 (HB) later: H's latest assessment is HB's."""
    ce1, ce2 = _ce_project(world, "CE1"), _ce_project(world, "CE2", coc=second_coc)
    head, child = world.client("1980-01-01"), world.client("2015-01-01")
    first = world.enroll(head, ce1, "2026-01-01", exit="2026-05-01", household="HA")
    world.enroll(child, ce1, "2026-01-01", exit="2026-05-01", household="HA", relationship=2)
    world.assessment(head, first, "2026-03-05")
    second = world.enroll(head, ce2, "2026-05-15", household="HB", enrollment_coc=second_coc)
    world.assessment(head, second, "2026-06-01")
    db.session.commit()


def test_a_household_loses_the_assessment_its_person_followed_by_a_later_one(app):
    _reassessed_elsewhere(World())

    q5a = _rows(_run("Q5a")["Q5a"])
    assert q5a["Total Number of Persons Served"] == [1, 1]          # old: [2, 2] (the child by HA's 03-05)
    assert q5a["Number of Children (Under Age 18)"] == [0, 0]       # old: [1, 1]


def test_the_later_assessment_of_another_coc_does_not_count_with_coc(app):
    _reassessed_elsewhere(World(), second_coc="XX-502")

    in_coc = _rows(_run("Q5a", coc=("XX-501",))["Q5a"])
    assert in_coc["Total Number of Persons Served"] == [2, 2]       # HB is not a relevant assessment: HA keeps it
    assert in_coc["Number of Children (Under Age 18)"] == [1, 1]
    everywhere = _rows(_run("Q5a")["Q5a"])
    assert everywhere["Total Number of Persons Served"] == [1, 1]
    assert everywhere["Number of Children (Under Age 18)"] == [0, 0]


def test_the_household_takes_the_latest_of_its_members_own_latest(app):
    world = World()
    ce1, ce2 = _ce_project(world, "CE1"), _ce_project(world, "CE2")
    g, m, n = world.client("1980-01-01"), world.client("1985-01-01"), world.client("1990-01-01")
    g_stay = world.enroll(g, ce1, "2026-01-01", household="HC")
    m_stay = world.enroll(m, ce1, "2026-01-01", exit="2026-05-01", household="HC", relationship=3)
    world.enroll(n, ce1, "2026-03-01", household="HC", relationship=3)
    world.assessment(g, g_stay, "2026-02-01", prioritization=2)
    world.assessment(m, m_stay, "2026-03-05", prioritization=1)     # dropped: M's latest is HM's
    m_own = world.enroll(m, ce2, "2026-05-15", household="HM")
    world.assessment(m, m_own, "2026-06-01", prioritization=1)
    db.session.commit()

    found = _run("Q5a", "Q9b")
    q5a, q9b = _rows(found["Q5a"]), _rows(found["Q9b"])
    assert q5a["Total Number of Persons Served"] == [2, 2]          # G (HC), M (HM); old: 3 with N (HC's 03-05)
    assert q9b["Placed on Prioritization List (Prioritized)"] == [1, 1, 0, 0, 0]      # HM; old: 2 (HC too)
    assert q9b["Not Placed on Prioritization List"] == [1, 1, 0, 0, 0]                # HC by G's; old: 0


def test_q4a_lists_access_points_of_every_coc_and_counts_only_the_run_coc(app):
    world = World()
    ce1, ce2 = _ce_project(world, "CE1"), _ce_project(world, "CE2", coc="XX-502")
    one, two = world.client("1980-01-01"), world.client("1980-01-01")
    world.assessment(one, world.enroll(one, ce1, "2026-01-01"), "2026-02-01")
    world.assessment(two, world.enroll(two, ce2, "2026-01-01", enrollment_coc="XX-502"), "2026-02-01")
    db.session.commit()

    def counts(coc: tuple[str, ...]) -> dict[str, tuple[Any, Any]]:
        q4a = _run("Q4a", coc=coc)["Q4a"]
        return {row["cells"][2]: (row["cells"][-2], row["cells"][-1]) for row in q4a["rows"]}   # by Project ID

    assert counts(("XX-501",)) == {"CE1": (1, 1), "CE2": (0, 0)}     # old: no CE2 row
    assert counts(()) == {"CE1": (1, 1), "CE2": (1, 1)}
