"""Rows for one household stay: Enrollment, Exit and everything hanging off an enrollment.

``write_stay`` is the hot path (it runs once per household per project), so it
works on day ordinals, reuses one clock time per stay and fills pre-built row
templates by column position.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from . import codes
from .people import Person, pick
from .projects import VAMC_STATIONS, Catalog, Project
from .writer import Cols, Dates, Sink

E, X, I, D, H = Cols("Enrollment"), Cols("Exit"), Cols("IncomeBenefits"), Cols("Disabilities"), Cols("HealthAndDV")
S, L = Cols("Services"), Cols("CurrentLivingSituation")
A, Q, R, V = Cols("Assessment"), Cols("AssessmentQuestions"), Cols("AssessmentResults"), Cols("Event")
EE, Y = Cols("EmploymentEducation"), Cols("YouthEducationStatus")

INCOME_IX = tuple((getattr(I, f), getattr(I, a), share, lo, hi) for f, a, share, lo, hi in codes.INCOME_SOURCES)
BENEFIT_IX = tuple(getattr(I, b) for b in codes.BENEFITS)
INSURANCE_IX = tuple(getattr(I, n) for n in codes.INSURANCE)
DISABILITY_TYPES = (5, 6, 7, 8, 9, 10)
#: Chance an adult with a disabling condition reports each type (mental health most).
DISABILITY_SHARE = {5: 0.28, 6: 0.05, 7: 0.25, 8: 0.02, 9: 0.55, 10: 0.35}
#: Project types whose funders collect income/disabilities/DV (not NbN, Other, Day Shelter, CE).
COLLECTS_ASSESSMENTS = frozenset({0, 2, 3, 4, 6, 8, 9, 10, 12, 13})


@dataclass(slots=True)
class Member:
    """A person in a household, with the health profile they keep across stays."""

    person: Person
    rel: int
    disabilities: tuple[tuple[str, str], ...] = ()  #: (DisabilityResponse, IndefiniteAndImpairs) x 6
    dv: int = -1  #: DomesticViolenceSurvivor, decided at first ask


@dataclass(slots=True)
class Prior:
    """3.917 answers for the HoH/adults at one project start."""

    living: str = ""
    subsidy: str = ""
    los: str = ""
    los_under: str = ""
    prev_street: str = ""
    date_to_street: str = ""
    times: str = ""
    months: str = ""


@dataclass(slots=True)
class Stay:
    project: Project
    household_id: str
    entry: int
    exit: int | None
    destination: int = 99
    subsidy: int = 0
    move_in: int | None = None
    prior: Prior = field(default_factory=Prior)
    coc: str = ""
    user: str = ""
    clock: str = "09:00:00"


class Context:
    """Everything the row writers share for one run."""

    def __init__(self, sink: Sink, rng: random.Random, dates: Dates, catalog: Catalog, end: int) -> None:
        self.sink, self.rng, self.dates, self.catalog, self.end = sink, rng, dates, catalog, end
        self.t_service = sink.template("Services")
        self.t_disab = sink.template("Disabilities")


def _money(x: float) -> str:
    return f"{x:.2f}"


def disability_profile(rng: random.Random, person: Person, adult: bool) -> tuple[tuple[str, str], ...]:
    """Six (response, indefinite-and-impairs) pairs consistent with 3.08 DisablingCondition."""
    dc = person.disabled
    if dc in (8, 9, 99):
        return tuple((str(dc), "") for _ in DISABILITY_TYPES)
    out: list[tuple[str, str]] = []
    for t in DISABILITY_TYPES:
        share = DISABILITY_SHARE[t] if dc == 1 else 0.06 if t in (5, 7, 9) else 0.0
        yes = rng.random() < share * (1.0 if adult else 0.4)
        if t == 10:
            resp = str(rng.choice((1, 2, 3, 2))) if yes else "0"
        else:
            resp = "1" if yes else "0"
        if t in (5, 7, 9, 10) and yes:
            # A "yes" that is indefinite and impairing makes the person disabled (3.08).
            ii = "1" if dc == 1 and rng.random() < 0.8 else "0"
        elif t in (5, 7, 9, 10):
            ii = ""
        else:
            ii = ""
        if dc == 0 and t in (6, 8):
            resp = "0"
        out.append((resp, ii))
    if dc == 1 and not any(ii == "1" for _, ii in out) and not any(
            r == "1" for (r, _), t in zip(out, DISABILITY_TYPES) if t in (6, 8)):
        out[4] = ("1", "1")  # mental health: the commonest qualifying condition
    return tuple(out)


def _income_row(ctx: Context, stay: Stay, p: Person, adult_or_hoh: bool, child: bool,
                vet: bool, age: int) -> list[str]:
    """An IncomeBenefits row without date/stage; flags consistent with amounts."""
    rng = ctx.rng
    row = ctx.sink.new("IncomeBenefits")
    if adult_or_hoh:
        r = rng.random()
        if r < 0.42:
            total = 0.0
            row[I.IncomeFromAnySource] = "1"
            chosen = []
            for flag, amt, share, lo, hi in INCOME_IX:
                s = share
                if flag == I.VADisabilityService and vet:
                    s = 0.35
                elif flag == I.SocSecRetirement and age >= 62:
                    s = 0.5
                elif flag in (I.TANF, I.ChildSupport) and child:
                    s = 0.3
                if rng.random() < s:
                    chosen.append((flag, amt, lo, hi))
            if not chosen:
                chosen.append(INCOME_IX[0][:2] + INCOME_IX[0][3:])
            for flag, amt, share, lo, hi in INCOME_IX:
                row[flag] = "0"
            for flag, amt, lo, hi in chosen:
                value = round(rng.uniform(lo, hi), 0 if rng.random() < 0.7 else 2)
                total += value
                row[flag], row[amt] = "1", _money(value)
            if any(c[0] == I.OtherIncomeSource for c in chosen):
                row[I.OtherIncomeSourceIdentify] = "Day labor"
            row[I.TotalMonthlyIncome] = _money(total)
        elif r < 0.93:
            row[I.IncomeFromAnySource] = "0"
            for flag, _, _, _, _ in INCOME_IX:
                row[flag] = "0"
            row[I.TotalMonthlyIncome] = "0.00"
        else:
            row[I.IncomeFromAnySource] = str(rng.choice((8, 9, 99, 99)))
        r = rng.random()
        if r < 0.55:
            row[I.BenefitsFromAnySource] = "1"
            for ix in BENEFIT_IX:
                row[ix] = "0"
            row[I.SNAP] = "1"
            if child and rng.random() < 0.4:
                row[I.WIC] = "1"
            if child and rng.random() < 0.1:
                row[I.TANFChildCare] = "1"
            if rng.random() < 0.05:
                row[I.OtherBenefitsSource], row[I.OtherBenefitsSourceIdentify] = "1", "Utility assistance"
        elif r < 0.94:
            row[I.BenefitsFromAnySource] = "0"
            for ix in BENEFIT_IX:
                row[ix] = "0"
        else:
            row[I.BenefitsFromAnySource] = str(rng.choice((8, 9, 99)))
        if stay.project.path or stay.project.ssvf:
            row[I.ConnectionWithSOAR] = str(pick(rng, ((0, 70), (1, 20), (8, 5), (99, 5))))
    r = rng.random()
    if r < 0.78:
        row[I.InsuranceFromAnySource] = "1"
        for ix in INSURANCE_IX:
            row[ix] = "0"
        if not adult_or_hoh and age < 18 and rng.random() < 0.3:
            row[I.SCHIP] = "1"
        elif age >= 65:
            row[I.Medicare] = "1"
        elif vet and rng.random() < 0.6:
            row[I.VHAServices] = "1"
        elif rng.random() < 0.9:
            row[I.Medicaid] = "1"
        else:
            row[I.EmployerProvided if rng.random() < 0.5 else I.StateHealthIns] = "1"
    elif r < 0.96:
        row[I.InsuranceFromAnySource] = "0"
        for ix in INSURANCE_IX:
            row[ix] = "0"
    else:
        row[I.InsuranceFromAnySource] = str(rng.choice((8, 9, 99)))
    return row


def write_stay(ctx: Context, stay: Stay, members: list[tuple[Member, int]], vet: bool) -> list[str]:
    """Write every row for one household stay; ``members`` are (member, own entry day).

    Returns the EnrollmentIDs (HoH first) so callers can attach CE events.
    """
    sink, rng, fmt, end = ctx.sink, ctx.rng, ctx.dates, ctx.end
    proj = stay.project
    ptype = proj.ptype
    clock = stay.clock
    exit_day = stay.exit
    user = stay.user
    last_day = exit_day if exit_day is not None else end
    exit_text = fmt(exit_day) if exit_day is not None else ""
    updated = f"{fmt(last_day if exit_day is not None else stay.entry)} {clock}"
    has_child = any(m.person.age_on(stay.entry) < 18 for m, _ in members)
    collects = ptype in COLLECTS_ASSESSMENTS
    ids: list[str] = []
    for member, entry in members:
        p = member.person
        hoh = member.rel == 1
        age = p.age_on(entry)
        adult = age >= 18
        adult_or_hoh = adult or hoh
        created = f"{fmt(entry)} {clock}"
        eid = sink.new_id("Enrollment")
        ids.append(eid)
        row = sink.new("Enrollment")
        row[E.EnrollmentID], row[E.PersonalID], row[E.ProjectID] = eid, p.personal_id, proj.id
        row[E.EntryDate], row[E.HouseholdID] = fmt(entry), stay.household_id
        row[E.RelationshipToHoH] = str(member.rel)
        if hoh:
            row[E.EnrollmentCoC] = stay.coc
            if stay.move_in is not None:
                row[E.MoveInDate] = fmt(stay.move_in)
        if adult_or_hoh:
            pr = stay.prior
            row[E.LivingSituation:E.MonthsHomelessPastThreeYears + 1] = (
                pr.living, pr.subsidy, pr.los, pr.los_under, pr.prev_street, pr.date_to_street,
                pr.times, pr.months)
        row[E.DisablingCondition] = str(p.disabled)
        if ptype in (1, 4, 6) and adult_or_hoh and rng.random() < 0.85:
            engaged = entry + min(rng.randrange(0, 21), last_day - entry)
            row[E.DateOfEngagement] = fmt(engaged)
        if proj.path and adult_or_hoh:
            row[E.DateOfPATHStatus] = fmt(entry + min(rng.randrange(0, 30), last_day - entry))
            enrolled = rng.random() < 0.7
            row[E.ClientEnrolledInPATH] = "1" if enrolled else "0"
            if not enrolled:
                row[E.ReasonNotEnrolled] = str(rng.choice((1, 2, 3)))
        if proj.rhy and adult_or_hoh:
            src = pick(rng, ((1, 30), (2, 25), (7, 10), (11, 8), (30, 8), (38, 7), (39, 7), (99, 5)))
            row[E.ReferralSource] = str(src)
            if src == 7:
                row[E.CountOutreachReferralApproaches] = str(rng.randint(1, 6))
            if proj.bcp:
                row[E.DateOfBCPStatus] = fmt(entry)
                eligible = rng.random() < 0.93
                row[E.EligibleForRHY] = "1" if eligible else "0"
                if not eligible:
                    row[E.ReasonNoServices] = str(rng.choice((1, 2, 3, 4)))
                row[E.RunawayYouth] = str(pick(rng, ((0, 55), (1, 40), (8, 2), (99, 3))))
            for col in (E.FormerWardChildWelfare, E.FormerWardJuvenileJustice):
                v = pick(rng, ((0, 75), (1, 20), (8, 2), (9, 1), (99, 2)))
                row[col] = str(v)
                if v == 1:
                    row[col + 1] = str(rng.choice((1, 2, 3)))
                    if row[col + 1] == "1":
                        row[col + 2] = str(rng.randint(1, 11))
            for col in range(E.UnemploymentFam, E.IncarceratedParent + 1):
                row[col] = str(pick(rng, ((0, 70), (1, 22), (8, 3), (9, 2), (99, 3))))
        if hoh and (proj.ssvf or proj.vash or proj.gpd):
            row[E.VAMCStation] = rng.choice(VAMC_STATIONS)
            if proj.ssvf and ptype in (12, 13):
                row[E.PercentAMI] = str(pick(rng, ((1, 70), (2, 20), (3, 8), (4, 1), (99, 1))))
            if ptype == 12 and proj.ssvf:
                row[E.TargetScreenReqd] = "0"
            if (proj.ssvf or proj.gpd) and ptype in (6, 12, 13):
                row[E.MentalHealthConsultation] = str(rng.choice((1, 2, 3, 4)))
        row[E.DateCreated], row[E.DateUpdated], row[E.UserID] = created, updated, user
        sink.write("Enrollment", row)

        if exit_day is not None:
            x = sink.new("Exit")
            x[X.ExitID], x[X.EnrollmentID], x[X.PersonalID] = sink.new_id("Exit"), eid, p.personal_id
            x[X.ExitDate], x[X.Destination] = exit_text, str(stay.destination)
            if stay.destination == 435:
                x[X.DestinationSubsidyType] = str(stay.subsidy)
            elif stay.destination == 17:
                x[X.OtherDestination] = "Moved out of state"
            if ptype == 12 and (proj.hopwa or set(proj.funders) & {1, 9}):
                if stay.destination in (410, 411, 421, 435):
                    x[X.HousingAssessment] = "1"
                    x[X.SubsidyInformation] = str(rng.choice((1, 2, 3, 4)))
                elif stay.destination in (422, 423):
                    x[X.HousingAssessment] = "4"
                else:
                    x[X.HousingAssessment] = str(rng.choice((3, 5, 6, 99)))
            if proj.rhy and adult_or_hoh:
                status = pick(rng, ((1, 60), (2, 30), (3, 10)))
                x[X.ProjectCompletionStatus] = str(status)
                if status == 3:
                    x[X.EarlyExitReason] = str(rng.randint(1, 6))
                x[X.CounselingReceived] = "1" if rng.random() < 0.6 else "0"
                x[X.DestinationSafeClient] = str(pick(rng, ((1, 75), (0, 15), (8, 5), (99, 5))))
            if proj.vash and hoh:
                x[X.CMExitReason] = str(pick(rng, ((1, 30), (3, 20), (4, 8), (8, 8), (9, 10), (12, 4), (13, 20))))
            x[X.DateCreated], x[X.DateUpdated], x[X.UserID] = updated, updated, user
            sink.write("Exit", x)

        if collects:
            _assessments(ctx, stay, member, eid, entry, adult, adult_or_hoh, has_child, vet, age, clock)
        if ptype == 1:
            _bed_nights(ctx, eid, p.personal_id, entry, last_day, exit_day is None, user, clock)
        if ptype in (4, 14) and adult_or_hoh:
            _contacts(ctx, eid, p.personal_id, entry, last_day, user, clock)
        if adult_or_hoh or proj.hopwa:
            _services(ctx, proj, eid, p.personal_id, entry, last_day, hoh, user, clock)
        if proj.rhy and adult_or_hoh and ptype != 4:
            _employment(ctx, eid, p.personal_id, entry, exit_day, user, clock)
        if proj.yhdp and hoh:
            _youth_education(ctx, eid, p.personal_id, entry, exit_day, user, clock)
    return ids


def _assessments(ctx: Context, stay: Stay, member: Member, eid: str, entry: int, adult: bool,
                 adult_or_hoh: bool, has_child: bool, vet: bool, age: int, clock: str) -> None:
    """IncomeBenefits (entry, annual, exit), Disabilities (entry/exit, adults) and HealthAndDV."""
    sink, rng, fmt = ctx.sink, ctx.rng, ctx.dates
    p = member.person
    pid = p.personal_id
    user = stay.user
    exit_day = stay.exit
    last = exit_day if exit_day is not None else ctx.end
    # Income at entry; the same answers carry to annual assessments and exit, with
    # some people gaining income while enrolled (what the APR income tables look at).
    base = _income_row(ctx, stay, p, adult_or_hoh, has_child, vet, age)
    base[I.EnrollmentID], base[I.PersonalID] = eid, pid
    base[I.UserID] = user
    points: list[tuple[int, str]] = [(entry, "1")]
    k = 1
    while entry + 365 * k <= last:
        anniversary = stay.entry + 365 * k  # keyed to the HoH's start, as HUD's AA rule is
        day = min(max(anniversary + rng.randint(-25, 25), entry), last)
        points.append((day, "5"))
        k += 1
    if exit_day is not None:
        points.append((exit_day, "3"))
    for day, stage in points:
        row = base[:] if stage == "1" or rng.random() < 0.75 else _income_row(
            ctx, stay, p, adult_or_hoh, has_child, vet, age)
        row[I.IncomeBenefitsID] = sink.new_id("IncomeBenefits")
        row[I.EnrollmentID], row[I.PersonalID], row[I.UserID] = eid, pid, user
        row[I.InformationDate], row[I.DataCollectionStage] = fmt(day), stage
        row[I.DateCreated] = row[I.DateUpdated] = f"{fmt(day)} {clock}"
        sink.write("IncomeBenefits", row)

    if adult:
        if not member.disabilities:
            member.disabilities = disability_profile(rng, p, True)
        hiv = stay.project.hopwa
        stages = ((entry, "1"), (exit_day, "3")) if exit_day is not None else ((entry, "1"),)
        rows = []
        for day, stage in stages:
            text, stamp = fmt(day), f"{fmt(day)} {clock}"
            for t, (resp, ii) in zip(DISABILITY_TYPES, member.disabilities):
                row = ctx.t_disab[:]
                row[0:7] = (sink.new_id("Disabilities"), eid, pid, text, str(t), resp, ii)
                if t == 8 and hiv and resp == "1":
                    row[D.TCellCountAvailable:D.AntiRetroviral + 1] = (
                        "1", str(rng.randint(150, 1100)), "1", rng.choice(("1", "2")),
                        str(rng.randint(20, 5000)), "1", "1")
                row[D.DataCollectionStage] = stage
                row[D.DateCreated], row[D.DateUpdated], row[D.UserID] = stamp, stamp, user
                rows.append(row)
        sink.write_many("Disabilities", rows)

    if adult_or_hoh:
        if member.dv < 0:
            woman = p.sex == 0
            r = rng.random()
            member.dv = 1 if r < (0.3 if woman else 0.1) else 0 if r < 0.95 else rng.choice((8, 9, 99))
        row = sink.new("HealthAndDV")
        row[H.HealthAndDVID], row[H.EnrollmentID], row[H.PersonalID] = sink.new_id("HealthAndDV"), eid, pid
        row[H.InformationDate] = fmt(entry)
        row[H.DomesticViolenceSurvivor] = str(member.dv)
        if member.dv == 1:
            row[H.WhenOccurred] = str(pick(rng, ((1, 25), (2, 15), (3, 15), (4, 40), (9, 5))))
            row[H.CurrentlyFleeing] = str(pick(rng, ((0, 70), (1, 27), (99, 3))))
        if stay.project.rhy:
            for col in (H.GeneralHealthStatus, H.DentalHealthStatus, H.MentalHealthStatus):
                row[col] = str(pick(rng, ((1, 15), (2, 25), (3, 30), (4, 18), (5, 8), (99, 4))))
            if p.sex == 0:
                pregnant = rng.random() < 0.12
                row[H.PregnancyStatus] = "1" if pregnant else "0"
                if pregnant:
                    row[H.DueDate] = fmt(entry + rng.randint(20, 250))
        row[H.DataCollectionStage] = "1"
        row[H.DateCreated] = row[H.DateUpdated] = f"{fmt(entry)} {clock}"
        row[H.UserID] = user
        sink.write("HealthAndDV", row)


def _bed_nights(ctx: Context, eid: str, pid: str, entry: int, last: int, stayer: bool,
                user: str, clock: str) -> None:
    """4.14 bed nights for a night-by-night shelter: most nights from entry to the night
    before exit (through the export end for stayers)."""
    rng, fmt, sink = ctx.rng, ctx.dates, ctx.sink
    stop = last + 1 if stayer else last
    if stop <= entry:
        stop = entry + 1
    tpl = ctx.t_service
    rows = []
    rand = rng.random
    for night in range(entry, stop):
        if night != entry and rand() < 0.12:
            continue  # missed nights: people come and go
        row = tpl[:]
        text = fmt(night)
        row[0], row[1], row[2], row[3], row[4], row[5] = sink.new_id("Services"), eid, pid, text, "200", "200"
        row[S.DateCreated] = row[S.DateUpdated] = f"{text} {clock}"
        row[S.UserID] = user
        rows.append(row)
    sink.write_many("Services", rows)


def _service(ctx: Context, eid: str, pid: str, day: int, record: int, provided: int,
             user: str, clock: str) -> list[str]:
    row = ctx.t_service[:]
    text = ctx.dates(day)
    row[0:6] = (ctx.sink.new_id("Services"), eid, pid, text, str(record), str(provided))
    row[S.DateCreated] = row[S.DateUpdated] = f"{text} {clock}"
    row[S.UserID] = user
    return row


def _services(ctx: Context, proj: Project, eid: str, pid: str, entry: int, last: int, hoh: bool,
              user: str, clock: str) -> None:
    """Program services (PATH, RHY, HOPWA, SSVF, HUD-VASH, Moving On) for funded projects."""
    rng = ctx.rng
    span = max(0, last - entry)
    rows: list[list[str]] = []

    def days(n: int):
        return sorted(entry + rng.randint(0, span) for _ in range(n))

    if proj.path:
        for day in days(rng.randint(1, 4)):
            rows.append(_service(ctx, eid, pid, day, 141, rng.choice(codes.PATH_SERVICES), user, clock))
        if rng.random() < 0.4:
            row = _service(ctx, eid, pid, days(1)[0], 161, rng.choice(codes.PATH_REFERRALS), user, clock)
            row[S.ReferralOutcome] = str(rng.choice((1, 2, 3)))
            rows.append(row)
    if proj.rhy and proj.ptype != 4 or proj.ptype == 4 and 25 in proj.funders:
        for day in days(rng.randint(1, 3)):
            rows.append(_service(ctx, eid, pid, day, 142, rng.choice(codes.RHY_SERVICES), user, clock))
    if proj.hopwa:
        for day in days(rng.randint(1, 3)):
            rows.append(_service(ctx, eid, pid, day, 143, rng.choice(codes.HOPWA_SERVICES), user, clock))
        if hoh and proj.ptype in (12, 3, 2) and rng.random() < 0.6:
            row = _service(ctx, eid, pid, days(1)[0], 151, rng.choice(codes.HOPWA_FA), user, clock)
            row[S.FAAmount] = _money(rng.randint(150, 1800))
            rows.append(row)
    if proj.ssvf:
        for day in days(rng.randint(1, 4)):
            t = rng.choice(codes.SSVF_SERVICES)
            row = _service(ctx, eid, pid, day, 144, t, user, clock)
            if t in codes.SSVF_SUBTYPES:
                row[S.SubTypeProvided] = str(rng.choice(codes.SSVF_SUBTYPES[t]))
            elif t == 6:
                row[S.OtherTypeProvided] = "Legal aid clinic"
            rows.append(row)
        if hoh:
            for day in days(rng.randint(1, 3)):
                row = _service(ctx, eid, pid, day, 152, rng.choice(codes.SSVF_FA), user, clock)
                row[S.FAAmount] = _money(rng.randint(50, 2500))
                row[S.FAStartDate] = ctx.dates(day)
                row[S.FAEndDate] = ctx.dates(day + rng.choice((0, 30, 60)))
                rows.append(row)
    if proj.vash and hoh:
        for day, t in zip(days(3), codes.VASH_TRACKING):
            rows.append(_service(ctx, eid, pid, day, 210, t, user, clock))
    if proj.psh_moving_on and hoh and span > 365 and rng.random() < 0.15:
        t = rng.randint(1, 5)
        row = _service(ctx, eid, pid, days(1)[0], 300, t, user, clock)
        if t == 2:
            row[S.FAAmount] = _money(rng.randint(200, 1500))
        elif t == 5:
            row[S.MovingOnOtherType] = "Furniture"
        rows.append(row)
    if rows:
        ctx.sink.write_many("Services", rows)


def _contacts(ctx: Context, eid: str, pid: str, entry: int, last: int, user: str, clock: str) -> None:
    """4.12 Current Living Situation at entry and on later outreach/CE contacts."""
    rng, fmt, sink = ctx.rng, ctx.dates, ctx.sink
    day, n = entry, 0
    rows = []
    while day <= last and n < 12:
        code = pick(rng, codes.CLS_CODES)
        row = sink.new("CurrentLivingSituation")
        row[L.CurrentLivingSitID], row[L.EnrollmentID], row[L.PersonalID] = (
            sink.new_id("CurrentLivingSituation"), eid, pid)
        row[L.InformationDate], row[L.CurrentLivingSituation] = fmt(day), str(code)
        if code == 116:
            row[L.LocationDetails] = rng.choice(("Under bridge", "Riverside camp", "Vehicle", "Park", ""))
        row[L.DateCreated] = row[L.DateUpdated] = f"{fmt(day)} {clock}"
        row[L.UserID] = user
        rows.append(row)
        day += rng.randint(7, 45)
        n += 1
    sink.write_many("CurrentLivingSituation", rows)


def write_ce(ctx: Context, eid: str, pid: str, entry: int, last: int, user: str, clock: str,
             referral: int | None) -> None:
    """4.19 assessments (a few with local questions/results) and 4.20 events for a CE HoH."""
    rng, fmt, sink = ctx.rng, ctx.dates, ctx.sink
    span = max(0, last - entry)
    day = entry
    for level in ((1,) if rng.random() < 0.5 else (1, 2)):
        aid = sink.new_id("Assessment")
        row = sink.new("Assessment")
        row[A.AssessmentID], row[A.EnrollmentID], row[A.PersonalID] = aid, eid, pid
        row[A.AssessmentDate] = fmt(day)
        row[A.AssessmentLocation] = rng.choice(("CE Access Point - Downtown", "Outreach van", "Phone line"))
        row[A.AssessmentType] = str(pick(rng, ((3, 70), (1, 20), (2, 10))))
        row[A.AssessmentLevel] = str(level)
        row[A.PrioritizationStatus] = "1" if level == 2 and rng.random() < 0.7 else "2"
        stamp = f"{fmt(day)} {clock}"
        row[A.DateCreated], row[A.DateUpdated], row[A.UserID] = stamp, stamp, user
        sink.write("Assessment", row)
        if rng.random() < 0.3:
            for order, (group, question, answers) in enumerate((
                    ("Housing", "Nights slept outside in past year", ("0", "30", "120", "365")),
                    ("Health", "Emergency room visits in past 6 months", ("0", "1", "3", "6")),
                    ("Safety", "Fleeing unsafe situation", ("Yes", "No"))), start=1):
                qr = sink.new("AssessmentQuestions")
                qr[0:8] = (sink.new_id("AssessmentQuestions"), aid, eid, pid, group, str(order),
                           question, rng.choice(answers))
                qr[8:11] = (stamp, stamp, user)
                sink.write("AssessmentQuestions", qr)
            rr = sink.new("AssessmentResults")
            rr[0:6] = (sink.new_id("AssessmentResults"), aid, eid, pid, "Vulnerability score",
                       str(rng.randint(1, 17)))
            rr[6:9] = (stamp, stamp, user)
            sink.write("AssessmentResults", rr)
        day = min(last, day + rng.randint(0, 21))
    events = [pick(rng, ((2, 30), (3, 15), (4, 15), (6, 8), (7, 10), (10, 12), (16, 5), (8, 3), (9, 2)))]
    if referral is not None:
        events.append(referral)
    for event in events:
        ev_day = entry + rng.randint(0, span)
        row = sink.new("Event")
        row[V.EventID], row[V.EnrollmentID], row[V.PersonalID] = sink.new_id("Event"), eid, pid
        row[V.EventDate], row[V.Event] = fmt(ev_day), str(event)
        if event == 2:
            row[V.ProbSolDivRRResult] = "1" if rng.random() < 0.3 else "0"
        elif event == 5:
            row[V.ReferralCaseManageAfter] = "1" if rng.random() < 0.5 else "0"
        if 10 <= event <= 15:
            row[V.LocationCrisisOrPHHousing] = "Program opening"
        if 10 <= event <= 15 or event in (17, 18):
            result = pick(rng, ((1, 75), (2, 15), (3, 10)))
            row[V.ReferralResult] = str(result)
            row[V.ResultDate] = fmt(min(ev_day + rng.randint(1, 30), ctx.end))
        stamp = f"{fmt(ev_day)} {clock}"
        row[V.DateCreated], row[V.DateUpdated], row[V.UserID] = stamp, stamp, user
        sink.write("Event", row)


def _employment(ctx: Context, eid: str, pid: str, entry: int, exit_day: int | None, user: str,
                clock: str) -> None:
    rng, fmt, sink = ctx.rng, ctx.dates, ctx.sink
    for day, stage in ((entry, "1"), (exit_day, "3")):
        if day is None:
            continue
        row = sink.new("EmploymentEducation")
        employed = pick(rng, ((0, 60), (1, 35), (99, 5)))
        row[0:10] = (sink.new_id("EmploymentEducation"), eid, pid, fmt(day),
                     str(rng.choice((3, 4, 5, 7, 10))), str(rng.choice((1, 2, 3, 4, 5))),
                     str(employed), str(rng.choice((1, 2, 3))) if employed == 1 else "",
                     str(rng.choice((1, 2, 3))) if employed == 0 else "", stage)
        row[10:13] = (f"{fmt(day)} {clock}",) * 2 + (user,)
        sink.write("EmploymentEducation", row)


def _youth_education(ctx: Context, eid: str, pid: str, entry: int, exit_day: int | None, user: str,
                     clock: str) -> None:
    rng, fmt, sink = ctx.rng, ctx.dates, ctx.sink
    for day, stage in ((entry, "1"), (exit_day, "3")):
        if day is None:
            continue
        attend = pick(rng, ((0, 55), (1, 15), (2, 25), (99, 5)))
        row = sink.new("YouthEducationStatus")
        row[0:8] = (sink.new_id("YouthEducationStatus"), eid, pid, fmt(day), str(attend),
                    str(rng.choice((0, 1, 2, 5, 6))) if attend == 0 else "",
                    str(rng.choice((0, 1, 4))) if attend in (1, 2) else "", stage)
        row[8:11] = (f"{fmt(day)} {clock}",) * 2 + (user,)
        sink.write("YouthEducationStatus", row)
