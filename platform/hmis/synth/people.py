"""Synthetic clients: demographics, Client.csv rows and duplicate records with PII errors."""
from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date

from . import names
from .writer import Cols, Sink

C = Cols("Client")

#: Race columns in Client.csv order, with the share of people who tick each one.
RACE_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("AmIndAKNative", 0.04), ("Asian", 0.025), ("BlackAfAmerican", 0.38),
    ("HispanicLatinao", 0.21), ("MidEastNAfrican", 0.01), ("NativeHIPacific", 0.015),
    ("White", 0.45),
)
RACE_INDEX = tuple(getattr(C, col) for col, _ in RACE_WEIGHTS)


@dataclass(slots=True)
class Person:
    """One client record. ``dob`` is the true birth date (ordinal) even when DOB is not written."""

    personal_id: str
    person_key: str
    first: str
    middle: str
    last: str
    suffix: str
    name_dq: int
    ssn: str
    ssn_dq: int
    dob: int
    dob_text: str
    dob_dq: int
    sex: int
    races: tuple[int, ...]
    race_none: str
    disabled: int  #: 3.08 DisablingCondition this person tends to report (list 1.8)
    veteran: int = 99
    vet_detail: tuple[str, ...] = ()

    def age_on(self, day: int) -> int:
        """Calendar age on ``day`` (ordinal)."""
        b, d = date.fromordinal(self.dob), date.fromordinal(day)
        return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


def pick(rng: random.Random, weighted: tuple[tuple[object, float], ...]):
    """Weighted choice over ``((value, weight), ...)`` (weights need not sum to 1)."""
    total = 0.0
    for _, w in weighted:
        total += w
    x = rng.random() * total
    for value, w in weighted:
        x -= w
        if x < 0:
            return value
    return weighted[-1][0]


def make_ssn(rng: random.Random) -> str:
    """A valid-looking SSN: area never 000, 666 or 9xx; group and serial never zero."""
    area = rng.randint(1, 899)
    if area == 666:
        area = 667
    return f"{area:03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"


def make_person(rng: random.Random, personal_id: str, person_key: str, dob: int, sex: int,
                last: str | None = None, adult: bool = True) -> Person:
    """A new client with plausible, mostly complete PII."""
    female = sex == 0 or (sex not in (0, 1) and rng.random() < 0.5)
    first = rng.choice(names.FEMALE_FIRST if female else names.MALE_FIRST)
    last = last or rng.choice(names.LAST)
    r = rng.random()
    middle = "" if r < 0.55 else (rng.choice("ABCDEFGHJKLMNPRSTW") if r < 0.8 else
                                  rng.choice(names.FEMALE_FIRST if female else names.MALE_FIRST))
    suffix = rng.choice(names.SUFFIXES) if (not female and rng.random() < 0.03) else ""
    r = rng.random()
    if r < 0.95:
        name_dq = 1
    elif r < 0.985:
        name_dq, last = 2, ""  # street name / first name only
    else:
        name_dq = rng.choice((8, 9, 99))
        first = last = middle = suffix = ""
    r = rng.random()
    if r < 0.86:
        ssn, ssn_dq = make_ssn(rng), 1
    elif r < 0.92:
        ssn, ssn_dq = "xxxxx" + make_ssn(rng)[5:], 2  # HUD: unknown digits as x
    else:
        ssn, ssn_dq = "", rng.choice((8, 9, 99, 99))
    r = rng.random()
    dob_date = date.fromordinal(dob)
    if r < 0.96:
        dob_text, dob_dq = dob_date.isoformat(), 1
    elif r < 0.985:
        dob_text, dob_dq = date(dob_date.year, 1, 1).isoformat(), 2  # approximate
    else:
        dob_text, dob_dq = "", rng.choice((8, 9, 99))
    races = [0] * 7
    for i, (_, share) in enumerate(RACE_WEIGHTS):
        if rng.random() < share:
            races[i] = 1
    race_none = ""
    if rng.random() < 0.03 or not any(races):
        races = [0] * 7
        race_none = str(rng.choice((8, 9, 99)))
    r = rng.random()
    if adult:
        disabled = 1 if r < 0.5 else 0 if r < 0.95 else rng.choice((8, 9, 99))
    else:
        disabled = 1 if r < 0.08 else 0 if r < 0.97 else 99
    return Person(personal_id, person_key, first, middle, last, suffix, name_dq, ssn, ssn_dq,
                  dob, dob_text, dob_dq, sex, tuple(races), race_none, disabled)


def set_veteran(rng: random.Random, person: Person, share: float) -> None:
    """Fill 3.07 and V1 for an adult; ``share`` is the chance of being a veteran."""
    r = rng.random()
    if r < share:
        person.veteran = 1
        born = date.fromordinal(person.dob).year
        entered = min(born + 18 + int(rng.expovariate(0.4)), 2024)
        separated = min(entered + rng.randint(2, 12), 2025)
        theaters = ["0"] * 8  # WWII, Korea, Vietnam, Desert Storm, OEF, OIF, OND, Other
        for i, (lo, hi) in enumerate(((1941, 1946), (1950, 1953), (1961, 1975), (1990, 1991),
                                      (2001, 2021), (2003, 2010), (2010, 2011))):
            if entered <= hi and separated >= lo and rng.random() < 0.5:
                theaters[i] = "1"
        if rng.random() < 0.1:
            theaters[7] = "1"
        branch = pick(rng, ((1, 45), (2, 12), (3, 18), (4, 20), (6, 4), (7, 1)))
        discharge = pick(rng, ((1, 70), (2, 14), (4, 2), (5, 1), (6, 8), (7, 5)))
        person.vet_detail = (str(entered), str(separated), *theaters, str(branch), str(discharge))
    elif r < 0.975:
        person.veteran = 0
    else:
        person.veteran = rng.choice((8, 9, 99))


def client_row(sink: Sink, p: Person, created: str, updated: str, user: str) -> list[str]:
    row = sink.new("Client")
    row[C.PersonalID] = p.personal_id
    row[C.FirstName], row[C.MiddleName], row[C.LastName] = p.first, p.middle, p.last
    row[C.NameSuffix] = p.suffix
    row[C.NameDataQuality] = str(p.name_dq)
    row[C.SSN], row[C.SSNDataQuality] = p.ssn, str(p.ssn_dq)
    row[C.DOB], row[C.DOBDataQuality] = p.dob_text, str(p.dob_dq)
    row[C.Sex] = str(p.sex)
    for i, v in zip(RACE_INDEX, p.races):
        row[i] = "1" if v else "0"
    row[C.RaceNone] = p.race_none
    row[C.VeteranStatus] = str(p.veteran)
    if p.vet_detail:
        row[C.YearEnteredService:C.DischargeStatus + 1] = p.vet_detail
    row[C.DateCreated], row[C.DateUpdated], row[C.UserID] = created, updated, user
    return row


# --- duplicate records -------------------------------------------------------------------

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def typo(rng: random.Random, word: str, edits: int) -> str:
    """Apply 1-2 keyboard-style edits (substitute, drop, insert, swap) to ``word``."""
    for _ in range(edits):
        if len(word) < 3:
            return word + rng.choice(_LETTERS)
        i = rng.randrange(1, len(word))  # keep the first letter: people rarely get it wrong
        kind = rng.randrange(4)
        if kind == 0:
            word = word[:i] + rng.choice(_LETTERS) + word[i + 1:]
        elif kind == 1:
            word = word[:i] + word[i + 1:]
        elif kind == 2:
            word = word[:i] + rng.choice(_LETTERS) + word[i:]
        elif i < len(word) - 1:
            word = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        else:
            word = word[:i] + word[i] + word[i:]  # doubled letter
    return word


def _dob_error(rng: random.Random, text: str) -> tuple[str, str] | None:
    """A transposed-digit or day/month-swapped DOB that is still a valid, different date."""
    y, m, d = int(text[:4]), int(text[5:7]), int(text[8:10])
    options: list[tuple[str, tuple[int, int, int]]] = []
    if d <= 12 and d != m:
        options.append(("dob_swap_day_month", (y, d, m)))
    if d >= 10 and d % 10 != d // 10:
        options.append(("dob_transpose", (y, m, (d % 10) * 10 + d // 10)))
    if y % 10 != (y // 10) % 10:
        options.append(("dob_transpose", (y - y % 100 + (y % 10) * 10 + (y // 10) % 10, m, d)))
    rng.shuffle(options)
    for kind, (yy, mm, dd) in options:
        try:
            new = date(yy, mm, dd)
        except ValueError:
            continue
        if 1930 <= new.year <= 2026:
            return kind, new.isoformat()
    return None


def make_duplicate(rng: random.Random, original: Person, personal_id: str) -> tuple[Person, list[str]]:
    """Another record for the same human, as a second agency might have typed it."""
    dup = replace(original, personal_id=personal_id)
    kinds: list[str] = []
    if dup.name_dq == 1 and rng.random() < 0.05:
        return dup, kinds  # an exact copy: still a duplicate, just no errors
    wanted = 1 if rng.random() < 0.6 else 2 if rng.random() < 0.8 else 3
    menu = ["typo_first", "typo_last", "nickname", "swap_names", "dob", "missing_ssn",
            "partial_ssn", "hyphenated_last"]
    for _ in range(12):
        if len(kinds) >= wanted:
            break
        kind = rng.choice(menu)
        if kind == "typo_first" and dup.first and "typo_first" not in kinds:
            dup.first = typo(rng, dup.first, rng.choice((1, 1, 2)))
        elif kind == "typo_last" and dup.last and "typo_last" not in kinds:
            dup.last = typo(rng, dup.last, rng.choice((1, 1, 2)))
        elif kind == "nickname" and dup.first in names.NICKNAMES and "typo_first" not in kinds:
            dup.first = rng.choice(names.NICKNAMES[dup.first])
        elif kind == "swap_names" and dup.first and dup.last and not kinds:
            dup.first, dup.last = dup.last, dup.first
        elif kind == "dob" and dup.dob_dq == 1 and not any(k.startswith("dob") for k in kinds):
            changed = _dob_error(rng, dup.dob_text)
            if changed is None:
                continue
            kind, dup.dob_text = changed
        elif kind == "missing_ssn" and dup.ssn and "partial_ssn" not in kinds:
            dup.ssn, dup.ssn_dq = "", 99
        elif kind == "partial_ssn" and dup.ssn_dq == 1 and "missing_ssn" not in kinds:
            dup.ssn, dup.ssn_dq = "xxxxx" + dup.ssn[5:], 2
        elif kind == "hyphenated_last" and dup.last and "typo_last" not in kinds:
            if "-" in dup.last:
                dup.last = dup.last.split("-")[rng.randrange(2)]
            else:
                other = rng.choice(names.LAST)
                sep = "-" if rng.random() < 0.7 else " "
                dup.last = f"{dup.last}{sep}{other}" if rng.random() < 0.6 else f"{other}{sep}{dup.last}"
        else:
            continue
        if kind not in kinds:
            kinds.append(kind)
    if dup.name_dq == 1 and not (dup.first and dup.last):
        dup.name_dq = 2
    return dup, kinds
