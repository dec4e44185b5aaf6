"""HUD's public sample through the APR's Q19a-Q25j tables: totals that must agree across tables.

The sample has no income records and no sex (3.06) answers, so those tables check only their
shape there; the hand-built tests beside this file check their rules.
"""
from __future__ import annotations

from datetime import date

import pytest

from hmis.interchange.importer import import_export

from .shipped_apr import apr_tables, by_label

TABLES = ("Q5a", "Q7a", "Q8a", "Q18", "Q19a1", "Q19a2", "Q20b", "Q22c", "Q22e", "Q22f", "Q22g", "Q24b", "Q24e",
          "Q25a", "Q25b", "Q25d", "Q25i", "Q25j")


@pytest.fixture
def sample_apr(sqlite_app, hud_sample):
    result = import_export(hud_sample)
    assert result.status == "imported"
    return apr_tables(*TABLES, start=date(2024, 10, 1), end=date(2025, 9, 30))


@pytest.mark.slow
def test_q19_to_q25_agree_with_the_other_tables_on_hud_sample(sample_apr):
    t = {table_id: rows for table_id, rows in sample_apr.items()}
    q5a = {label: cells[1] for label, cells in t["Q5a"]}
    assert q5a["Total Number of Persons Served"] > 4000                 # the sample really ran

    for table, stage in (("Q19a1", 1), ("Q19a2", 2)):
        q19 = by_label(t[table])
        for label in ("Number of Adults with Earned Income (i.e., Employment Income)",
                      "Number of Adults with Other Income", "Number of Adults with Any Income (i.e., Total Income)"):
            row = q19[label]
            assert sum(row[:6]) == row[6] and row[7] == row[3] + row[4]
        assert q19["Number of Adults with Any Income (i.e., Total Income)"][6] <= \
            by_label(t["Q18"])["Adults with Income Information at Start and Annual Assessment/Exit"][stage]

    q20b = by_label(t["Q20b"])
    assert q20b["Total"][:2] == [q5a["Number of Adults (Age 18 or Over)"], q5a["Number of Adult Stayers"]]
    assert 0 < q20b["Total"][2] <= q5a["Number of Adult Leavers"]
    assert [sum(cells) for cells in zip(*list(q20b.values())[:4])] == q20b["Total"]

    q22c, q22f = by_label(t["Q22c"]), by_label(t["Q22f"])
    assert sum(q22f["Persons Moved into housing"]) == q22c["Total (persons moved into housing)"][0] > 0
    assert sum(q22f["Persons who were exited without move-in"]) <= q22c["Persons who were exited without move-in"][0]
    assert 0 < sum(by_label(t["Q22g"])["Persons Moved into housing"]) <= \
        by_label(t["Q22e"])["Total (persons moved into housing)"][0]

    assert len(t["Q24b"]) == 5
    q24e = by_label(t["Q24e"])
    assert q24e["Total"] == by_label(t["Q7a"])["Total"]

    q8a, q25a, q25b = by_label(t["Q8a"])["Total Households"], by_label(t["Q25a"]), by_label(t["Q25b"])
    assert q25b["Total"] == [q8a[0] - q8a[3], q8a[1], q8a[2], q8a[4]]
    assert q25b["Chronically Homeless Veteran"][0] <= q25a["Chronically Homeless Veteran"][0]
    veterans = q25a["Chronically Homeless Veteran"][0] + q25a["Non-Chronically Homeless Veteran"][0]
    assert by_label(t["Q25d"])["Total"][0] >= veterans > 0                # Q25d adds unknown-age veterans

    q25i = t["Q25i"]
    subtotals = [cells[0] for label, cells in q25i if label == "Subtotal"]
    total = next(cells[0] for label, cells in q25i if label == "Total")
    assert len(subtotals) == 5 and sum(subtotals) == total > 0
    rental_with_subsidy = next(cells for label, cells in q25i if label.startswith("Rental by client, with"))
    assert t["Q25j"][-1][1][0] <= rental_with_subsidy[0]
