"""Normalizing PII for matching: names, nicknames, SSNs, dates of birth, sex.

Everything here is pure and cheap; :func:`prepare` turns a :class:`PersonRecord` into a
:class:`Prepared` record once, so that comparing two records does no string cleaning.
"""
from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

__all__ = [
    "PersonRecord", "Prepared", "canonical_first", "fold", "name_tokens", "nickname_table", "prepare",
    "soundex", "ssn_parts", "UNKNOWN_DQ",
]

#: HUD data-quality answers that mean "we do not know" (client doesn't know / refused / not collected).
UNKNOWN_DQ = frozenset({8, 9, 99})

#: Surname particles that do not identify a family on their own ("de la Cruz" = "Cruz").
PARTICLES = frozenset({"de", "del", "la", "las", "los", "da", "das", "do", "dos", "di", "van", "von", "der",
                       "den", "le", "du", "y", "e", "st", "saint", "mc", "mac", "bin", "ibn", "al", "el"})
SUFFIX_WORDS = frozenset({"jr", "sr", "ii", "iii", "iv", "v"})

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


@dataclass(slots=True)
class PersonRecord:
    """The identifying fields of one client record, as stored (HUD 3.01-3.03, 4.21)."""

    id: str
    first: str | None = None
    middle: str | None = None
    last: str | None = None
    suffix: str | None = None
    ssn: str | None = None
    ssn_dq: int | None = None
    dob: date | None = None
    dob_dq: int | None = None
    sex: int | None = None
    name_dq: int | None = None
    source: str | None = None  #: data source label, carried through to review output


@lru_cache(maxsize=65536)
def fold(text: str | None) -> str:
    """Lower-case ASCII: accents stripped (``Núñez`` -> ``nunez``), apostrophes and periods
    dropped (``O'Brien`` -> ``obrien``), any other punctuation becomes a space."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("'", "").replace("\u2019", "").replace(".", " ").replace("ß", "ss")
    return " ".join(_NON_ALNUM.sub(" ", text).split())


def name_tokens(text: str | None) -> tuple[str, ...]:
    """The words of a name: hyphenated and compound names split (``Garcia-Lopez`` -> garcia, lopez)."""
    return tuple(fold(text).split())


@lru_cache(maxsize=1)
def nickname_table() -> dict[str, frozenset[str]]:
    """nickname -> the formal names it can stand for, from ``data/nicknames.csv``."""
    table: dict[str, set[str]] = {}
    with resources.files(__package__).joinpath("data/nicknames.csv").open(encoding="utf-8") as fh:
        rows = csv.reader(line for line in fh if line.strip() and not line.startswith("#"))
        next(rows)  # header
        for row in rows:
            nick, formal = fold(row[0]).replace(" ", ""), fold(row[1]).replace(" ", "")
            table.setdefault(nick, set()).add(formal)
    return {nick: frozenset(formals) for nick, formals in table.items()}


@lru_cache(maxsize=65536)
def canonical_first(name: str) -> frozenset[str]:
    """The formal names a (folded) given name may stand for, itself included: ``bill`` ->
    {bill, william}; ``william`` -> {william}."""
    if not name:
        return frozenset()
    return frozenset({name}) | nickname_table().get(name, frozenset())


_SOUNDEX = str.maketrans("bfpvcgjkqsxzdtlmnr", "111122222222334556")


@lru_cache(maxsize=65536)
def soundex(word: str) -> str:
    """American Soundex of a folded word (``robert`` -> ``r163``); empty for no letters."""
    letters = "".join(ch for ch in word if ch.isalpha())
    if not letters:
        return ""
    out = [letters[0]]
    last = letters[0].translate(_SOUNDEX)
    for ch in letters[1:]:
        code = ch.translate(_SOUNDEX)
        if code.isdigit():
            if code != last:
                out.append(code)
                if len(out) == 4:
                    break
            last = code
        elif ch not in "hw":  # vowels separate equal codes; h and w do not
            last = ""
    return "".join(out).ljust(4, "0")


# --- SSN ------------------------------------------------------------------------------------

#: Numbers people type when they do not know the SSN, and the famous advertising one.
_PLACEHOLDER_SSNS = frozenset({"123456789", "987654321", "012345678", "078051120", "219099999", "111223333",
                               "123121234"})


def ssn_parts(ssn: str | None, dq: int | None) -> tuple[str | None, str | None]:
    """``(full, last4)``: the 9 digits when they form a plausible SSN, and the last four
    digits when those are known and plausible. Invalid patterns (area 000, 666 or 9xx,
    group 00, serial 0000, one digit repeated, 123-45-6789 and other placeholders) and
    HUD's 8/9/99 answers give ``None``. ``x`` marks an unknown digit (HUD's convention)."""
    if not ssn or dq in UNKNOWN_DQ:
        return None, None
    text = "".join(ch for ch in ssn.lower() if ch.isdigit() or ch in "x?*#")
    if len(text) != 9:
        digits = "".join(ch for ch in text if ch.isdigit())
        if len(digits) == 4 and len(text) in (4, 9):
            text = "xxxxx" + digits if len(text) == 4 else text
        else:
            return None, None
    last4 = text[5:] if text[5:].isdigit() and text[5:] != "0000" else None
    if not text.isdigit():
        return None, last4
    area, group, serial = text[:3], text[3:5], text[5:]
    if (area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000"
            or len(set(text)) == 1 or text in _PLACEHOLDER_SSNS):
        return None, None
    return text, last4


# --- the prepared record ----------------------------------------------------------------------


@dataclass(slots=True)
class Prepared:
    """A record cleaned once for comparisons and blocking."""

    rec: PersonRecord
    first: str                #: folded given name, words joined ("mary ann" -> "maryann")
    first_canon: frozenset[str]
    last: str                 #: folded surname, words joined
    last_tokens: frozenset[str]  #: significant surname words (particles dropped)
    middle: str
    suffix: str
    ssn: str | None
    ssn4: str | None
    dob: date | None
    dob_exact: bool           #: DOB data quality 1 (or not given): compare the whole date
    sex: int | None


def prepare(rec: PersonRecord) -> Prepared:
    first_words = name_tokens(rec.first)
    last_words = name_tokens(rec.last)
    suffix = fold(rec.suffix).replace(" ", "")
    if last_words and last_words[-1] in SUFFIX_WORDS and len(last_words) > 1:  # "Smith Jr" typed in LastName
        suffix = suffix or last_words[-1]
        last_words = last_words[:-1]
    if rec.name_dq in UNKNOWN_DQ:
        first_words = last_words = ()
    first = "".join(first_words)
    canon = frozenset().union(*(canonical_first(w) for w in first_words)) | canonical_first(first)
    significant = frozenset(w for w in last_words if w not in PARTICLES and len(w) > 1) or frozenset(last_words)
    ssn, ssn4 = ssn_parts(rec.ssn, rec.ssn_dq)
    dob = rec.dob if rec.dob_dq not in UNKNOWN_DQ else None
    if dob is not None and not (1900 <= dob.year <= 2100):
        dob = None
    sex = rec.sex if rec.sex is not None and rec.sex not in UNKNOWN_DQ else None
    return Prepared(rec, first, canon, "".join(last_words), significant, fold(rec.middle).replace(" ", ""),
                    suffix, ssn, ssn4, dob, rec.dob_dq in (1, None), sex)
