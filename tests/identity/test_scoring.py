"""Field agreement levels, and pair scores for the classic hard cases."""
from dataclasses import replace
from datetime import date

import pytest

from hmis.identity import MatchingConfigError, PersonRecord, load_config, score_pair
from hmis.identity.normalize import prepare
from hmis.identity.scoring import compare_dob, compare_first, compare_last, compare_ssn

CFG = load_config()


def rec(pid="1", first="William", last="Johnson", ssn="231456789", ssn_dq=1, dob=date(1985, 3, 14), dob_dq=1,
        sex=1, **extra) -> PersonRecord:
    return PersonRecord(pid, first, extra.pop("middle", None), last, extra.pop("suffix", None), ssn, ssn_dq, dob,
                        dob_dq, sex, extra.pop("name_dq", 1))


def dob_level(x: date, y: date, dq_x=1, dq_y=1) -> str | None:
    return compare_dob(prepare(rec(dob=x, dob_dq=dq_x)), prepare(rec(dob=y, dob_dq=dq_y)))


def ssn_level(x, y, dq_x=1, dq_y=1) -> str | None:
    return compare_ssn(prepare(rec(ssn=x, ssn_dq=dq_x)), prepare(rec(ssn=y, ssn_dq=dq_y)))


@pytest.mark.parametrize(("x", "y", "level"), [
    (date(1985, 3, 14), date(1985, 3, 14), "exact"),
    (date(1985, 3, 14), date(1958, 3, 14), "transposed"),       # year digits
    (date(1985, 3, 13), date(1985, 3, 31), "transposed"),       # day digits
    (date(1985, 3, 14), date(1985, 3, 15), "one_digit"),
    (date(1985, 3, 6), date(1985, 6, 3), "day_month_swap"),
    (date(1985, 3, 14), date(1984, 3, 14), "one_digit"),
    (date(1980, 3, 14), date(1979, 3, 14), "year_off_by_one"),
    (date(1985, 3, 14), date(1962, 11, 2), "disagree"),
])
def test_dob_levels(x, y, level):
    assert dob_level(x, y) == level


def test_dob_unknown_and_approximate():
    assert dob_level(date(1985, 3, 14), date(1985, 3, 14), dq_y=99) is None
    assert dob_level(date(1985, 1, 1), date(1985, 1, 1), 2, 2) == "approximate_same"
    assert dob_level(date(1985, 1, 1), date(1985, 7, 9), 2, 1) == "same_year_approximate"
    assert dob_level(date(1985, 1, 1), date(1960, 7, 9), 2, 1) == "disagree"


@pytest.mark.parametrize(("x", "y", "level"), [
    ("231456789", "231-45-6789", "exact"),
    ("231456789", "231456788", "one_digit"),
    ("231456789", "231457689", "transposed"),
    ("231456789", "512998877", "disagree"),
    ("231456789", "xxxxx6789", "last4"),
    ("231456789", "xxxxx1111", "last4_disagree"),
    ("231456789", "", None),
    ("000000000", "000000000", None),    # invalid: no evidence, even though equal
    ("123456789", "123456789", None),
    ("999999999", "999999999", None),
])
def test_ssn_levels(x, y, level):
    assert ssn_level(x, y, 2 if "x" in x else 1, 2 if "x" in y else 1) == level


def test_name_levels():
    a = prepare(rec(first="Bill"))
    assert compare_first(a, prepare(rec(first="William")), CFG.similar)[0] == "nickname"
    assert compare_first(prepare(rec(first="Jonathon")), prepare(rec(first="Jonathan")), CFG.similar)[0] == "similar"
    assert compare_first(prepare(rec(first="Mary")), prepare(rec(first="Robert")), CFG.similar)[0] == "disagree"
    hyph = prepare(rec(last="Garcia-Lopez"))
    assert compare_last(hyph, prepare(rec(last="Lopez")), CFG.similar)[0] == "compound"
    assert compare_last(prepare(rec(last="Johnsen")), prepare(rec(last="Johnson")), CFG.similar)[0] == "similar"


def test_same_person_with_typical_errors_scores_above_threshold():
    base = rec()
    for other in (
        rec("2", first="Bill"),                                          # nickname
        rec("2", first="Johnson", last="William"),                      # swapped
        rec("2", first="Wiliam", ssn="", ssn_dq=99),                     # typo, SSN missing
        rec("2", ssn="xxxxx6789", ssn_dq=2),                                       # partial SSN
        rec("2", last="Johnson-Reyes", dob=date(1958, 3, 14), ssn="", ssn_dq=8),  # compound + transposed year
        rec("2", first="Will", ssn="", ssn_dq=99),                                  # nickname, SSN missing
        rec("2", first="Willaim", last="Jonson", ssn="", ssn_dq=99),               # two typos
        rec("2", ssn="231456798"),                                                  # SSN digits transposed
    ):
        scored = score_pair(base, other, CFG)
        assert scored.score >= CFG.threshold, (other, scored)
        assert scored.reasons


def test_swapped_first_and_last_names_score_high():
    scored = score_pair(rec(ssn="", ssn_dq=99), rec("2", first="Johnson", last="William", ssn="", ssn_dq=99), CFG)
    assert scored.score >= CFG.threshold
    assert any("swapped" in r for r in scored.reasons)


def test_spanish_nickname_with_accents():
    a = rec(first="Guadalupe", last="Núñez", sex=0)
    b = rec("2", first="Lupe", last="Nunez", sex=0, ssn="", ssn_dq=99)
    scored = score_pair(a, b, CFG)
    assert scored.score >= CFG.threshold and "first name nickname" in scored.reasons


def test_different_people_with_a_common_name_score_low():
    a = rec(first="Maria", last="Garcia", ssn="", ssn_dq=99, dob=date(1971, 5, 2), sex=0)
    b = rec("2", first="Maria", last="Garcia", ssn="", ssn_dq=99, dob=date(1990, 11, 23), sex=0)
    assert score_pair(a, b, CFG).score < CFG.threshold
    # same name and DOB but two valid, different SSNs
    c = replace(a, ssn="231456789", ssn_dq=1)
    d = replace(a, id="2", ssn="512998877", ssn_dq=1)
    assert score_pair(c, d, CFG).score < CFG.threshold


def test_twins_and_father_son_score_low():
    twin_a = rec(first="Marcus", last="Hill", ssn="", ssn_dq=99)
    twin_b = rec("2", first="Malik", last="Hill", ssn="", ssn_dq=99)
    assert score_pair(twin_a, twin_b, CFG).score < CFG.threshold
    senior = rec(suffix="Sr", ssn="", ssn_dq=99, dob=date(1960, 3, 14))
    junior = rec("2", suffix="Jr", ssn="", ssn_dq=99, dob=date(1986, 3, 14))
    assert score_pair(senior, junior, CFG).score < CFG.threshold


def test_config_file_errors_are_clear(tmp_path):
    path = tmp_path / "matching.yaml"
    path.write_text("threshold: 7\nweights:\n  dob:\n    exact: 6\n")
    cfg = load_config(path)
    assert cfg.threshold == 7 and cfg.weights["dob"]["exact"] == 6 and cfg.weights["ssn"]["exact"] == 9
    path.write_text("weights:\n  dob:\n    exactly: 6\n")
    with pytest.raises(MatchingConfigError, match="unknown setting 'weights.dob.exactly'"):
        load_config(path)
    path.write_text("threshold: high\n")
    with pytest.raises(MatchingConfigError, match="'threshold' must be a number"):
        load_config(path)
    path.write_text("threshold: [1\n")
    with pytest.raises(MatchingConfigError, match="not valid YAML"):
        load_config(path)
    with pytest.raises(MatchingConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")


def test_shipped_settings_load_and_match_the_defaults():
    from hmis.identity.config import DEFAULTS, default_config_path

    path = default_config_path()
    assert path is not None and path.name == "matching.yaml"
    cfg = load_config(path)
    assert cfg.weights == DEFAULTS["weights"] and cfg.threshold == DEFAULTS["threshold"]
    assert cfg.linked_threshold == DEFAULTS["linked_threshold"]
    assert cfg.max_block_size == DEFAULTS["blocking"]["max_block_size"]


def test_given_name_only_records():
    a = rec(last="", name_dq=2, ssn="", ssn_dq=99, dob=date(1974, 9, 10))
    b = rec("2", last="", name_dq=2, ssn="", ssn_dq=99, dob=date(1974, 10, 9))
    scored = score_pair(a, b, CFG)
    assert "no last name on either" in scored.reasons and scored.score >= CFG.threshold
    nobody = rec(first="", last="", name_dq=99, ssn="", ssn_dq=99)
    assert not any("name" in r for r in score_pair(nobody, replace(nobody, id="2"), CFG).reasons)
