"""Field comparisons and the pair score.

Each comparison gives an agreement *level* (``exact``, ``transposed``, ``disagree``...)
or ``None`` when one side is unknown (missing, or HUD data quality 8/9/99): unknown adds
nothing either way. The score is the sum of the configured weight of each level
(Fellegi-Sunter style), and every non-zero contribution becomes a readable reason.
"""
from __future__ import annotations

from rapidfuzz.distance import OSA, JaroWinkler

from .config import MatchingConfig
from .normalize import Prepared

__all__ = ["compare_dob", "compare_first", "compare_last", "compare_ssn", "score_prepared"]

_jw = JaroWinkler.normalized_similarity
_osa = OSA.distance


def _level(x: str, y: str, sim: float, similar: float) -> str:
    """``similar`` by Jaro-Winkler; ``weak`` for two typos in a longer name (or a close
    Jaro-Winkler), which is neither evidence for nor against; else ``disagree``."""
    if sim >= similar:
        return "similar"
    shorter = min(len(x), len(y))
    if sim >= 0.8 or (shorter >= 3 and _osa(x, y, score_cutoff=2) <= (1 if shorter < 5 else 2)):
        return "weak"
    return "disagree"


def _one_edit(a: str, b: str) -> str | None:
    """``one_digit`` / ``transposed`` when equal-length digit strings differ by one
    substitution or one swap of neighbours."""
    if len(a) != len(b):
        return None
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diff) == 1:
        return "one_digit"
    if len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]:
        return "transposed"
    return None


def compare_ssn(a: Prepared, b: Prepared) -> str | None:
    if a.ssn and b.ssn:
        if a.ssn == b.ssn:
            return "exact"
        return _one_edit(a.ssn, b.ssn) or "disagree"
    if a.ssn4 and b.ssn4:  # at least one side has only the last four digits
        return "last4" if a.ssn4 == b.ssn4 else "last4_disagree"
    return None


def compare_dob(a: Prepared, b: Prepared) -> str | None:
    x, y = a.dob, b.dob
    if x is None or y is None:
        return None
    if not (a.dob_exact and b.dob_exact):  # approximate (DQ 2): only the year is worth comparing
        if x == y and not a.dob_exact and not b.dob_exact:
            return "approximate_same"
        if x.year == y.year:
            return "same_year_approximate"
        return None if abs(x.year - y.year) <= 2 else "disagree"
    if x == y:
        return "exact"
    if x.year == y.year and x.month == y.day and x.day == y.month:
        return "day_month_swap"
    level = _one_edit(x.strftime("%Y%m%d"), y.strftime("%Y%m%d"))
    if level:
        return level
    if x.month == y.month and x.day == y.day and abs(x.year - y.year) == 1:
        return "year_off_by_one"
    return "disagree"


def compare_first(a: Prepared, b: Prepared, similar: float) -> tuple[str | None, float]:
    """Given names: ``exact``, ``nickname`` (their formal names meet), ``similar``
    (Jaro-Winkler), ``initial`` (one side is just the initial), or ``disagree``."""
    x, y = a.first, b.first
    if not x or not y:
        return None, 0.0
    if x == y:
        return "exact", 1.0
    if a.first_canon & b.first_canon:
        return "nickname", 1.0
    if len(x) == 1 or len(y) == 1:
        return ("initial", 0.0) if x[0] == y[0] else ("disagree", 0.0)
    sim = _jw(x, y)
    return _level(x, y, sim, similar), sim


def _last_names(x: str, xt: frozenset[str], y: str, yt: frozenset[str], similar: float) -> tuple[str | None, float]:
    if not x or not y:
        return ("both_missing" if not x and not y else None), 0.0
    if x == y:
        return "exact", 1.0
    if xt & yt:  # Garcia-Lopez / Lopez, de la Cruz / Cruz
        return "compound", 1.0
    sim = _jw(x, y)
    if len(xt) > 1 or len(yt) > 1:
        sim = max(sim, max(_jw(p, q) for p in xt for q in yt))
    return _level(x, y, sim, similar), sim


def compare_last(a: Prepared, b: Prepared, similar: float) -> tuple[str | None, float]:
    return _last_names(a.last, a.last_tokens, b.last, b.last_tokens, similar)


_FIRST_PHRASE = {"exact": "first name same", "nickname": "first name nickname", "similar": "first name similar",
                 "initial": "first initial same", "weak": "first name somewhat alike",
                 "disagree": "first name differs"}
_LAST_PHRASE = {"exact": "last name same", "compound": "last name shares a part", "similar": "last name similar",
                "weak": "last name somewhat alike", "both_missing": "no last name on either", "disagree": "last name differs"}
_SSN_PHRASE = {"exact": "SSN same", "one_digit": "SSN one digit off", "transposed": "SSN digits transposed",
               "last4": "SSN last 4 same", "disagree": "SSN differs", "last4_disagree": "SSN last 4 differ"}
_DOB_PHRASE = {"exact": "DOB same", "transposed": "DOB digits transposed", "one_digit": "DOB one digit off",
               "day_month_swap": "DOB day and month swapped", "year_off_by_one": "DOB year off by one",
               "same_year_approximate": "DOB approximate, same year",
               "approximate_same": "DOB approximate, both the same", "disagree": "DOB differs"}


def _names(a: Prepared, b: Prepared, cfg: MatchingConfig) -> tuple[float, list[str]]:
    """The better of the direct and the swapped (first <-> last) reading of the names."""
    w = cfg.weights
    wf, wl = w["first_name"], w["last_name"]
    f_level, f_sim = compare_first(a, b, cfg.similar)
    l_level, l_sim = compare_last(a, b, cfg.similar)
    if l_level == "both_missing" and not (a.first and b.first):  # no name at all: no evidence
        l_level = None
    direct = (wf[f_level] if f_level else 0.0) + (wl[l_level] if l_level else 0.0)
    best, reasons = direct, []
    if f_level:
        reasons.append(_FIRST_PHRASE[f_level] if f_level != "similar" else f"first name similar ({f_sim:.2f})")
    if l_level:
        reasons.append(_LAST_PHRASE[l_level] if l_level != "similar" else f"last name similar ({l_sim:.2f})")
    if a.first and a.last and b.first and b.last and (f_level != "exact" or l_level != "exact"):
        s1, _ = _last_names(a.first, a.first_canon, b.last, b.last_tokens, cfg.similar)
        s2, _ = _last_names(a.last, a.last_tokens, b.first, b.first_canon, cfg.similar)
        if "disagree" not in (s1, s2) and (s1, s2) != ("weak", "weak"):
            swapped = wl[s1] + wl[s2] - (wl["exact"] - wf["exact"]) + w["swapped_names"]
            if swapped > direct:
                best, reasons = swapped, [f"first and last names swapped ({s1}/{s2})"]
    if a.suffix and b.suffix and a.suffix != b.suffix:
        best += w["suffix_disagree"]
        reasons.append(f"suffix differs ({a.suffix}/{b.suffix})")
    return best, reasons


def name_ceiling(cfg: MatchingConfig) -> float:
    """The most the names and sex can add: pairs that cannot reach the threshold even so are
    dropped before any string comparison."""
    w = cfg.weights
    return w["first_name"]["exact"] + w["last_name"]["exact"] + max(0.0, w["sex"]["agree"])


def score_prepared(a: Prepared, b: Prepared, cfg: MatchingConfig, floor: float | None = None
                   ) -> tuple[float, list[str]] | None:
    """``(score, reasons)``; ``None`` when ``floor`` is given and the pair cannot reach it."""
    w = cfg.weights
    score = 0.0
    reasons: list[str] = []
    s_level = compare_ssn(a, b)
    if s_level:
        score += w["ssn"][s_level]
        reasons.append(_SSN_PHRASE[s_level])
    d_level = compare_dob(a, b)
    if d_level:
        score += w["dob"][d_level]
        reasons.append(_DOB_PHRASE[d_level])
    if floor is not None and score + name_ceiling(cfg) < floor:
        return None
    name_score, name_reasons = _names(a, b, cfg)
    score += name_score
    reasons[:0] = name_reasons
    if a.sex is not None and b.sex is not None:
        if a.sex == b.sex:
            score += w["sex"]["agree"]
        else:
            score += w["sex"]["disagree"]
            reasons.append("sex differs")
    return round(score, 2), reasons
