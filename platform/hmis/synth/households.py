"""Households and their paths through the homeless system over the export window.

A household is built once (HoH plus members), then walks a pathway of project
stays (e.g. street outreach -> shelter -> transitional -> rapid re-housing),
sometimes with concurrent CE/services enrollments, and sometimes returns to
homelessness after exiting. 3.917 prior-living-situation answers are derived
from that walk, so HUD's chronic-homelessness algorithm finds real chronic cases.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass

from . import codes
from .people import pick
from .projects import PH_TYPES
from .records import Context, Member, Prior, Stay, write_ce, write_stay
from .writer import CLOCK

# Pathways by household kind: sequences of project types, with weights.
INDIVIDUAL_PATHS = (
    ((0,), 20), ((1,), 7), ((4,), 6), ((4, 0), 4), ((4, 8, 3), 1.5), ((4, 3), 1.5),
    ((0, 13), 8), ((0, 2, 13), 3), ((0, 2, 13, 3), 1.5), ((0, 3), 3), ((8,), 1.5), ((8, 3), 1),
    ((2,), 4), ((12,), 5), ((0, 9), 1.5), ((0, 10), 1.5), ((9,), 1), ((6,), 3), ((7,), 2),
    ((11,), 2), ((14,), 3), ((13,), 4), ((1, 0), 2),
)
FAMILY_PATHS = (
    ((0,), 20), ((0, 13), 15), ((12,), 10), ((2,), 8), ((0, 2, 13), 5), ((13,), 8), ((14, 0), 5),
    ((0, 3), 3), ((9,), 2), ((10,), 2), ((6,), 3), ((7,), 1), ((11,), 1), ((1,), 2),
)
CHILD_PATHS = (((0,), 50), ((2,), 15), ((4,), 15), ((6,), 10), ((12,), 5), ((14,), 5))

#: Median stay length in days and lognormal spread, by project type.
STAY_LENGTH = {0: (35, 0.9), 1: (10, 1.0), 2: (200, 0.6), 3: (900, 0.8), 4: (60, 1.0),
               6: (90, 0.9), 7: (120, 0.9), 8: (150, 0.8), 9: (700, 0.8), 10: (700, 0.8),
               11: (30, 0.9), 12: (90, 0.5), 13: (240, 0.5), 14: (60, 0.8)}
STAY_CAP = {1: 200, 0: 500, 4: 700, 11: 365}
#: Living situation at the next start after a stay in each project type (a transfer).
AFTER_TYPE = {0: 101, 1: 101, 4: 116, 8: 118, 2: 302, 11: 116, 6: 116, 7: 116, 14: 116}
#: Exit destination when the next step is a same-episode transfer.
TRANSFER_DEST = {0: (101, 0), 1: (101, 0), 8: (118, 0), 2: (302, 0), 13: (435, 431),
                 3: (435, 439), 9: (435, 440), 10: (435, 420)}
HOMELESS_TYPES = (0, 1, 4, 8)


@dataclass(slots=True)
class Household:
    members: list[Member]
    kind: int  #: 2.07.4-style: 1 adults only, 3 adults and children, 4 children only
    vet: bool
    youth: bool


def _los_code(days: int) -> str:
    """3.917.2 LengthOfStay bucket for ``days`` in the prior situation."""
    if days <= 1:
        return "10"
    if days <= 6:
        return "11"
    if days < 30:
        return "2"
    if days < 90:
        return "3"
    if days < 365:
        return "4"
    return "5"


class Walker:
    """Generates the stays of one household (or one duplicate record)."""

    def __init__(self, ctx: Context, hh: Household) -> None:
        self.ctx, self.hh, self.rng = ctx, hh, ctx.rng
        self.history: list[tuple[int, int]] = []  # past homeless episodes (start, end)
        self.hh_counter = 0
        self.first_user = ""

    # -- 3.917 ---------------------------------------------------------------------
    def prior(self, ptype: int, entry: int, living: int, since: int | None, stay_days: int) -> Prior:
        """Prior-living-situation answers with HUD's skip logic.

        ``since`` is when the current homeless episode began (None if housed);
        ``stay_days`` is how long they were in ``living``.
        """
        rng = self.rng
        pr = Prior(living=str(living))
        if living == 435:
            pr.subsidy = str(rng.choice(codes.SUBSIDIES))
        if living in (8, 9, 99):
            pr.los = "99"
        else:
            pr.los = _los_code(stay_days) if rng.random() < 0.96 else rng.choice(("8", "9", "99"))
        group = living // 100
        ask_history = ptype in HOMELESS_TYPES or group == 1
        if not ask_history:
            short = stay_days < (90 if group == 2 else 7)
            pr.los_under = "1" if short else "0"
            if short:
                on_street = since is not None and rng.random() < 0.8
                pr.prev_street = "1" if on_street else "0"
                ask_history = on_street
        if not ask_history:
            return pr
        start = since if since is not None else entry
        if rng.random() < 0.93:
            pr.date_to_street = self.ctx.dates(min(start, entry))
        # Times and months homeless in the past three years, from the episode history.
        window = entry - 3 * 365
        episodes = [(s, e) for s, e in self.history if e >= window] + [(min(start, entry), entry)]
        days = sum(min(e, entry) - max(s, window) for s, e in episodes if min(e, entry) > max(s, window))
        times = min(4, len(episodes))
        months = max(1, min(13, math.ceil(days / 30.4)))
        r = rng.random()
        if r < 0.06:
            pr.times = rng.choice(("8", "9", "99"))
        else:
            pr.times = str(times)
        r = rng.random()
        if r < 0.05:
            pr.months = rng.choice(("8", "9", "99"))
        else:
            pr.months = str(100 + months)
        return pr

    # -- walking ---------------------------------------------------------------------
    def stay_days(self, ptype: int) -> int:
        median, sigma = STAY_LENGTH[ptype]
        days = int(self.rng.lognormvariate(math.log(median), sigma))
        return max(1, min(days, STAY_CAP.get(ptype, 3650)))

    def destination(self, ptype: int, moved_in: bool) -> tuple[int, int]:
        rng = self.rng
        mix = codes.EXIT_MIX[ptype]
        if ptype in PH_TYPES and not moved_in:
            mix = (15, 30, 25, 5, 25)
        group = codes.GROUPS[pick(rng, tuple(zip(range(5), mix)))]
        dest = pick(rng, group)
        subsidy = 0
        if dest == 435:
            if ptype == 13:
                subsidy = 431 if rng.random() < 0.6 else rng.choice(codes.SUBSIDIES)
            elif ptype in (3, 8):
                subsidy = rng.choice((439, 440, 433))
            elif self.hh.vet and rng.random() < 0.5:
                subsidy = 419
            else:
                subsidy = rng.choice(codes.SUBSIDIES)
        return dest, subsidy

    def run(self, first_day: int, max_episodes: int = 3) -> tuple[int, int]:
        """Walk the household from ``first_day``; returns (first entry, last activity day)."""
        rng, ctx, hh = self.rng, self.ctx, self.hh
        end = ctx.end
        day = first_day
        last_activity = first_day
        paths = FAMILY_PATHS if hh.kind == 3 else CHILD_PATHS if hh.kind == 4 else INDIVIDUAL_PATHS
        for episode in range(max_episodes):
            path = pick(rng, paths)
            # How the episode began: prevention households are still housed.
            if path[0] == 12:
                since: int | None = None
                living = pick(rng, codes.PRIOR_HOUSED)
                living_days = rng.randint(30, 2000)
            else:
                r = rng.random()
                if r < 0.35:
                    before = rng.randint(0, 14)
                elif r < 0.58:
                    before = rng.randint(15, 364)
                else:
                    before = rng.randint(365, 2500)
                since = day - before
                r = rng.random()
                if r < 0.68:
                    living, living_days = pick(rng, codes.PRIOR_HOMELESS), before
                elif r < 0.8:
                    living, living_days = pick(rng, codes.PRIOR_INSTITUTION), rng.choice((3, 20, 60, 200))
                    since = since if rng.random() < 0.5 else None
                elif r < 0.96:
                    living, living_days = pick(rng, codes.PRIOR_TEMPORARY), rng.choice((2, 5, 20, 90, 400))
                    since = since if rng.random() < 0.3 else None
                else:
                    living, living_days = pick(rng, codes.PRIOR_MISSING), 0
                if since is None:
                    since = day  # homelessness starts now
            episode_start = since
            ended_housed = False
            for i, ptype in enumerate(path):
                nxt = path[i + 1] if i + 1 < len(path) else None
                length = self.stay_days(ptype)
                exit_day: int | None = day + length
                if exit_day > end:
                    exit_day = None
                move_in = None
                if ptype in PH_TYPES and rng.random() < (0.8 if ptype == 13 else 0.93):
                    wait = rng.randint(0, 90 if ptype == 13 else 45)
                    if exit_day is None or day + wait < exit_day:
                        if day + wait <= end:
                            move_in = day + wait
                if nxt is not None and exit_day is not None and (ptype not in PH_TYPES or move_in is None):
                    dest, subsidy = TRANSFER_DEST.get(nxt, (101, 0))
                elif exit_day is not None:
                    dest, subsidy = self.destination(ptype, move_in is not None)
                else:
                    dest, subsidy = 99, 0
                prior = self.prior(ptype, day, living, since if path[0] != 12 else None, living_days)
                self.stay(ptype, day, exit_day, dest, subsidy, move_in, prior)
                # Concurrent enrollments alongside shelter/outreach: CE, services, day shelter.
                if ptype in (0, 1, 4) and rng.random() < 0.22:
                    extra = pick(rng, ((14, 55), (6, 25), (11, 20)))
                    span = self.stay_days(extra)
                    cx = day + span if day + span <= end else None
                    cdest = self.destination(extra, False) if cx is not None else (99, 0)
                    cprior = self.prior(extra, day, living, since, living_days)
                    self.stay(extra, day, cx, cdest[0], cdest[1], None, cprior,
                              referral=13 if nxt == 13 else 14 if nxt == 3 else None)
                if exit_day is None:
                    return first_day, end
                last_activity = exit_day
                if nxt is None:
                    ended_housed = dest // 100 == 4
                    break
                # Transfers happen the same day or after a short wait.
                living = AFTER_TYPE.get(ptype, 435 if move_in is not None else 101)
                living_days = max(1, exit_day - day)
                day = exit_day + (0 if rng.random() < 0.7 else rng.randint(1, 10))
                if day > end:
                    return first_day, last_activity
            if episode_start is not None:
                self.history.append((episode_start, last_activity))
            # Returns: more likely after an exit to anything other than permanent housing.
            if rng.random() >= (0.15 if ended_housed else 0.35) or hh.kind == 4:
                break
            day = last_activity + rng.randint(14, 400) + (rng.randint(30, 400) if ended_housed else 0)
            if day > end - 7:
                break
        return first_day, last_activity

    def stay(self, ptype: int, entry: int, exit_day: int | None, dest: int, subsidy: int,
             move_in: int | None, prior: Prior, referral: int | None = None) -> None:
        ctx, rng, hh = self.ctx, self.rng, self.hh
        project = ctx.catalog.choose(rng, ptype, hh.kind, hh.vet, hh.youth)
        self.hh_counter += 1
        user = rng.choice(project.users)
        if not self.first_user:
            self.first_user = user
        stay = Stay(project, "", entry, exit_day, dest, subsidy, move_in, prior,
                    rng.choice(project.cocs), user, ctx_clock(rng))
        stay.household_id = ctx.sink.new_id("Household")
        members: list[tuple[Member, int]] = []
        for m in hh.members:
            own = entry
            if m.rel != 1 and exit_day is not None and exit_day - entry > 30 and rng.random() < 0.04:
                own = entry + rng.randint(1, 30)  # joined the household later
            members.append((m, own))
        ids = write_stay(ctx, stay, members, hh.vet)
        if ptype == 14:
            hoh = hh.members[0].person
            write_ce(ctx, ids[0], hoh.personal_id, entry, exit_day if exit_day is not None else ctx.end,
                     user, stay.clock, referral)


def ctx_clock(rng: random.Random) -> str:
    """One office-hours clock time, reused for every stamp of a stay."""
    return CLOCK[rng.randrange(len(CLOCK))]


# -- composition ---------------------------------------------------------------------------

#: Adult age bands (lo, hi, weight) for heads of adult-only households.
ADULT_AGES = ((18, 24, 12), (25, 34, 20), (35, 44, 22), (45, 54, 22), (55, 64, 18), (65, 85, 6))


def birth_day(rng: random.Random, on: int, age: int) -> int:
    """A birth date (ordinal) making someone ``age`` years old on day ``on``."""
    return on - int(age * 365.25) - rng.randint(1, 364)


def compose(rng: random.Random, new_person, on: int) -> Household:
    """Pick a household type and its members; ``new_person(dob, sex, last, adult)`` makes a Person."""
    r = rng.random()
    members: list[Member] = []
    if r < 0.72:
        kind = 1
        lo, hi = pick(rng, tuple(((lo, hi), w) for lo, hi, w in ADULT_AGES))
        age = rng.randint(lo, hi)
        sex = pick(rng, ((1, 62), (0, 36), (8, 0.5), (9, 0.5), (99, 1)))
        members.append(Member(new_person(birth_day(rng, on, age), sex, None, True), 1))
    elif r < 0.80:
        kind = 1  # multi-adult
        age = rng.randint(20, 70)
        hoh = new_person(birth_day(rng, on, age), rng.choice((0, 1)), None, True)
        members.append(Member(hoh, 1))
        rel = pick(rng, ((3, 60), (4, 30), (5, 10)))
        other_age = age + rng.randint(-6, 6) if rel == 3 else rng.randint(18, 70)
        other_age = max(18, other_age)
        last = hoh.last if rel != 5 and rng.random() < 0.7 else None
        members.append(Member(new_person(birth_day(rng, on, other_age),
                                         1 - hoh.sex if hoh.sex in (0, 1) else 0, last, True), rel))
    elif r < 0.97:
        kind = 3
        age = rng.randint(19, 50)
        hoh = new_person(birth_day(rng, on, age), 0 if rng.random() < 0.8 else 1, None, True)
        members.append(Member(hoh, 1))
        if rng.random() < 0.35:
            partner_age = max(18, age + rng.randint(-5, 7))
            members.append(Member(new_person(birth_day(rng, on, partner_age), 1 - hoh.sex,
                                             hoh.last if rng.random() < 0.5 else None, True), 3))
        for _ in range(pick(rng, ((1, 38), (2, 32), (3, 18), (4, 8), (5, 4)))):
            child_age = rng.randint(0, min(17, max(0, age - 16)))
            members.append(Member(new_person(birth_day(rng, on, child_age), rng.choice((0, 1)),
                                             hoh.last if rng.random() < 0.75 else None, False), 2))
        if rng.random() < 0.05:
            members.append(Member(new_person(birth_day(rng, on, rng.randint(45, 75)), 0, hoh.last, True), 4))
        elif rng.random() < 0.03:
            members.append(Member(new_person(birth_day(rng, on, rng.randint(18, 50)), rng.choice((0, 1)),
                                             None, True), 5))
    else:
        kind = 4  # unaccompanied or parenting minors
        age = rng.randint(13, 17)
        hoh = new_person(birth_day(rng, on, age), rng.choice((0, 1)), None, False)
        members.append(Member(hoh, 1))
        r2 = rng.random()
        if r2 < 0.15:
            members.append(Member(new_person(birth_day(rng, on, rng.randint(10, 17)), rng.choice((0, 1)),
                                             hoh.last, False), 4))
        elif r2 < 0.25 and age >= 15:
            members.append(Member(new_person(birth_day(rng, on, rng.randint(0, 1)), rng.choice((0, 1)),
                                             hoh.last, False), 2))
    hoh_age = max(0, (on - members[0].person.dob) // 365)
    youth = hoh_age <= 24
    return Household(members, kind, False, youth)
