"""APR Q27h sorts youth into income categories by amounts, exactly as Q18 sorts adults.

HUD's Data Lab code builds Q27h with the same function as Q18 (create_income_categories, over youth
adults and heads of household): "only earned" means earned income is the whole total, "both" means
the total has more than the earned amount, "only other" means a total with no earned amount, and a
total that cannot be worked out is missing information (reports.md §1, total monthly income). The
sources' yes/no fields alone decide nothing.

Report range 2025-10-01 to 2026-09-30. Five youth (born 2003, so 22 or 23), each alone in an ES from
2026-01-01, with a start record that day (any source = 1 unless said):

  Y1  earned yes $300; SSI yes with no amount         total 300, earned 300 -> only earned   (was both)
  Y2  earned yes with no amount; SSI yes $200         total 200, earned 0   -> only other    (was both)
  Y3  earned yes $500; total entered as $800          earned 500 < 800      -> both          (was only earned)
  Y4  SSI yes $0, no total                            no total (rules 1-5 fail) -> missing   (was only other)
  Y5  any source 0                                    total 0               -> no income

  Only earned 1, only other 1, both 1 (was 2), no income 1, missing 1 (was 0);
  one or more source 3 (was 4). Every youth here is an adult, so Q18 shows the same counts.
"""
from __future__ import annotations

from hmis.extensions import db

from .shipped_apr import shipped_tables


def test_q27h_sorts_youth_by_amounts_as_q18_sorts_adults(world):
    es = world.project(0)

    def youth_with_start_income(**fields):
        person = world.client("2003-01-01")
        world.income(person, world.enroll(person, es, "2026-01-01"), "2026-01-01", 1, **fields)

    youth_with_start_income(income_from_any_source=1, earned=1, earned_amount=300, ssi=1)           # Y1
    youth_with_start_income(income_from_any_source=1, earned=1, ssi=1, ssi_amount=200)              # Y2
    youth_with_start_income(income_from_any_source=1, earned=1, earned_amount=500,
                            total_monthly_income=800)                                               # Y3
    youth_with_start_income(income_from_any_source=1, ssi=1, ssi_amount=0)                          # Y4
    youth_with_start_income(income_from_any_source=0)                                               # Y5
    db.session.commit()

    found = shipped_tables("apr", "Q18", "Q27h")
    at_start = {label: cells[0] for label, cells in found["Q27h"].items()}
    assert at_start["Youth with Only Earned Income (i.e., Employment Income)"] == 1     # Y1
    assert at_start["Youth with Only Other Income"] == 1                               # Y2
    assert at_start["Youth with Both Earned and Other Income"] == 1                    # Y3
    assert at_start["Youth with No Income"] == 1                                       # Y5
    assert at_start["Youth with Client Doesn't Know/Prefers Not to Answer"] == 0
    assert at_start["Youth with Missing Income Information"] == 1                      # Y4
    assert at_start["Total Youth"] == 5
    assert at_start["1 or More Source of Income"] == 3                                 # Y1, Y2, Y3
    # the same people, the same rule: Q18 row by row (labels say "Adults" there)
    assert [cells for cells in found["Q27h"].values()] == [cells for cells in found["Q18"].values()]
