"""Blocking, find_candidates and match_one over plain records; quality on synth data."""
from datetime import date

import pytest

from hmis.identity import MatchIndex, MatchStats, PersonRecord, find_candidates, load_config, match_one
from hmis.identity.evaluate import baseline_pairs, quality, read_clients, truth_pairs
from hmis.synth import generate

CFG = load_config()


def people() -> list[PersonRecord]:
    return [
        PersonRecord("1", "William", None, "Johnson", None, "231456789", 1, date(1985, 3, 14), 1, 1, 1),
        PersonRecord("2", "Bill", None, "Jonson", None, "", 99, date(1985, 3, 14), 1, 1, 1),
        PersonRecord("3", "Johnson", None, "William", None, "", 99, date(1958, 3, 14), 1, 1, 1),
        PersonRecord("4", "Guadalupe", None, "García-Núñez", None, "xxxxx4321", 2, date(1990, 6, 3), 1, 0, 1),
        PersonRecord("5", "Lupe", None, "Nunez", None, "512994321", 1, date(1990, 3, 6), 1, 0, 1),
        PersonRecord("6", "Maria", None, "Garcia", None, "", 99, date(1971, 5, 2), 1, 0, 1),
        PersonRecord("7", "Maria", None, "Garcia", None, "", 99, date(1990, 11, 23), 1, 0, 1),
        PersonRecord("8", "", None, "", None, "", 99, None, 99, 99, 99),
        PersonRecord("9", "", None, "", None, "", 99, None, 99, 99, 99),
    ]


def test_find_candidates_pairs_the_same_people_with_reasons():
    stats = MatchStats()
    found = {(c.a.id, c.b.id): c for c in find_candidates(people(), CFG, stats)}
    assert {("1", "2"), ("1", "3"), ("4", "5")} <= set(found)
    assert ("6", "7") not in found and ("8", "9") not in found  # common name, different DOB; anonymous
    assert "first and last names swapped (exact/exact)" in found[("1", "3")].reasons[0]
    for c in found.values():  # below the threshold only when linked through a third record
        assert c.score >= CFG.threshold or (c.score >= CFG.linked_threshold and "both match" in c.reasons[-1])
    assert stats.records == 9 and 0 < stats.comparisons < 36


def test_two_records_each_matching_a_third_are_linked():
    found = {(c.a.id, c.b.id): c for c in find_candidates(people(), CFG)}
    linked = found.get(("2", "3"))  # Bill Jonson / Johnson William (1958): weak alone, both match record 1
    assert linked is not None and any(r.startswith("both match 1") for r in linked.reasons)


def test_match_one_searches_an_index_best_first():
    index = MatchIndex(people(), CFG)
    probe = PersonRecord("new", "Billy", None, "Johnson", None, "", 99, date(1985, 3, 14), 1, 1, 1)
    found = match_one(probe, index)
    assert [c.b.id for c in found][:2] == ["1", "2"]
    assert found[0].score >= found[1].score
    assert match_one(PersonRecord("x", "Zed", None, "Quux", None, "", 99, date(2001, 1, 1), 1, 1, 1), index) == []


@pytest.fixture(scope="module")
def synth_3000(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth") / "s3000.zip"
    summary = generate(3000, out, seed=5)
    return read_clients(summary.out), truth_pairs(summary.truth)


def test_quality_on_synthetic_clients(synth_3000):
    records, truth = synth_3000
    assert len(records) == 3000 and len(truth) > 250
    stats = MatchStats()
    found = [(c.a.id, c.b.id) for c in find_candidates(records, CFG, stats)]
    q = quality(found, truth)
    base = quality(baseline_pairs(records)[0], truth)
    assert q.precision >= 0.95, q
    assert q.recall >= 0.95, q
    assert q.recall > base.recall + 0.2, (q, base)
    assert stats.comparisons < 20 * len(records)  # blocking, not all 4.5 million pairs


def test_blocking_survives_a_year_error_with_only_a_partial_ssn():
    a = PersonRecord("a", "Sharon", None, "", None, "xxxxx2914", 2, date(1978, 9, 26), 1, 0, 2)
    b = PersonRecord("b", "Smharon", None, "", None, "080622914", 1, date(1987, 9, 26), 1, 0, 2)
    found = list(find_candidates([a, b], CFG))
    assert len(found) == 1 and "SSN last 4 same" in found[0].reasons
