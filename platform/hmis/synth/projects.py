"""The project landscape: users, organizations, projects and their descriptor files.

Writes User, Organization, Project, Funder, ProjectCoC, Inventory, Affiliation,
HMISParticipation and CEParticipation, and returns a ``Catalog`` the enrollment
generator draws projects from.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from . import names
from .people import pick
from .writer import Cols, Dates, Sink

COCS: tuple[tuple[str, float, str], ...] = (
    ("XX-501", 0.5, "069001"), ("XX-502", 0.3, "069003"), ("XX-503", 0.2, "069005"),
)
COC_CYCLE = ("XX-501", "XX-502", "XX-501", "XX-503", "XX-501", "XX-502")
ALL_TYPES = (0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14)
RESIDENTIAL = (0, 1, 2, 3, 8, 9, 10, 13)
PH_TYPES = (3, 9, 10, 13)

#: Share of projects of each type (LSA-sample-like: lots of ES and RRH).
TYPE_WEIGHTS = {0: 17, 1: 4, 2: 8, 3: 10, 4: 7, 6: 7, 7: 3, 8: 2, 9: 4, 10: 3, 11: 3, 12: 8,
                13: 18, 14: 4}
TYPE_LABEL = {
    0: "Emergency Shelter", 1: "Night Shelter", 2: "Transitional Housing",
    3: "Permanent Supportive Housing", 4: "Street Outreach", 6: "Supportive Services",
    7: "Community Program", 8: "Safe Haven", 9: "Housing Vouchers", 10: "Supportive Apartments",
    11: "Day Center", 12: "Homelessness Prevention", 13: "Rapid Re-Housing",
    14: "Coordinated Entry",
}
#: 2.06.1 funders per project type (code, weight). No deprecated/retired codes (12, 47, 48, 49).
FUNDERS = {
    0: ((8, 40), (46, 20), (37, 8), (22, 8), (13, 5)),
    1: ((8, 50), (46, 50)),
    2: ((5, 40), (24, 12), (23, 4), (19, 6), (41, 10), (46, 10), (43, 5)),
    3: ((2, 60), (15, 10), (56, 8), (43, 4)),
    4: ((11, 30), (21, 25), (25, 10), (54, 10), (46, 10)),
    6: ((4, 40), (21, 10), (14, 8), (45, 8), (46, 15)),
    7: ((46, 50), (35, 15), (36, 10)),
    8: ((6, 60), (30, 25)),
    9: ((20, 40), (36, 25), (52, 15), (50, 10)),
    10: ((46, 40), (51, 30), (7, 20)),
    11: ((46, 60), (8, 25)),
    12: ((9, 40), (33, 25), (17, 10), (1, 10), (46, 10)),
    13: ((3, 35), (10, 25), (33, 20), (44, 6), (43, 6), (53, 6), (55, 4)),
    14: ((4, 60), (46, 40)),
}
VET_FUNDERS = frozenset({20, 27, 30, 32, 33, 37, 38, 39, 40, 41, 42, 45})
YOUTH_FUNDERS = frozenset({22, 23, 24, 25, 26, 43})
HOPWA_FUNDERS = frozenset(range(13, 20))
GPD_FUNDERS = frozenset({37, 38, 39, 40, 41, 42, 45})
#: V6.1 VA medical center station numbers (a few real ones).
VAMC_STATIONS = ("402", "405", "518", "523", "608", "631", "650", "689")


@dataclass(slots=True)
class Project:
    id: str
    ptype: int
    cocs: tuple[str, ...]
    hh_types: tuple[int, ...]  #: 2.07.4 household types it serves (1, 3, 4)
    funders: tuple[int, ...]
    users: tuple[str, ...]
    rrh_sub: int = 0
    affiliated: bool = False  #: RRH-SSO with a residential affiliation (Affiliation.csv)
    vet: bool = False
    youth: bool = False
    hopwa: bool = False
    path: bool = False
    ssvf: bool = False
    vash: bool = False
    gpd: bool = False
    rhy: bool = False
    bcp: bool = False
    yhdp: bool = False
    psh_moving_on: bool = False


@dataclass
class Catalog:
    projects: list[Project]
    users: list[str]
    by_key: dict[tuple[int, int], list[Project]] = field(default_factory=dict)
    by_type: dict[int, list[Project]] = field(default_factory=dict)
    vets: dict[tuple[int, int], list[Project]] = field(default_factory=dict)
    youth: dict[tuple[int, int], list[Project]] = field(default_factory=dict)

    def index(self) -> None:
        for p in self.projects:
            self.by_type.setdefault(p.ptype, []).append(p)
            for hh in (1, 3, 4):
                if hh in p.hh_types:
                    self.by_key.setdefault((p.ptype, hh), []).append(p)
                    if p.vet:
                        self.vets.setdefault((p.ptype, hh), []).append(p)
                    if p.youth:
                        self.youth.setdefault((p.ptype, hh), []).append(p)

    def choose(self, rng: random.Random, ptype: int, hh: int, vet: bool, youth: bool) -> Project:
        """A project of ``ptype`` serving household type ``hh``; veterans and youth favour
        projects funded for them, and nobody else is sent to those."""
        key = (ptype, hh)
        if vet and key in self.vets and rng.random() < 0.7:
            return rng.choice(self.vets[key])
        if youth and key in self.youth and rng.random() < 0.7:
            return rng.choice(self.youth[key])
        pool = self.by_key.get(key) or self.by_type[ptype]
        for _ in range(4):
            p = rng.choice(pool)
            if (not p.vet or vet) and (not p.youth or youth):
                return p
        return p


def _stamp(dates: Dates, day: int, rng: random.Random) -> str:
    return f"{dates(day)} {rng.choice(CLOCK_SHORT)}"


CLOCK_SHORT = ("09:12:44", "10:03:05", "11:47:21", "13:30:00", "14:18:52", "15:55:09")


def build(sink: Sink, rng: random.Random, dates: Dates, clients: int, first_day: int) -> Catalog:
    """Write all project-descriptor files and return the catalog."""
    n_projects = max(30, min(800, clients // 250))
    # Every type at least twice, the rest spread by weight.
    # Every type at least twice, the rest spread by weight. The first two of each type
    # take the type's first and second funder, so even a tiny export has PATH, RHY,
    # HOPWA, SSVF and HUD-VASH projects.
    types: list[int] = [t for t in ALL_TYPES for _ in range(2)]
    forced = [i % 2 for i in range(len(types))]
    weighted = tuple(TYPE_WEIGHTS.items())
    extra = [pick(rng, weighted) for _ in range(n_projects - len(types))]
    types += extra
    forced += [None] * len(extra)

    users = _write_users(sink, rng, dates, first_day, max(12, n_projects // 3))
    admin = users[0]
    opened = first_day - 3 * 365

    # Organizations: ~8 projects each, plus one victim-service provider whose projects
    # use a comparable database (HMISParticipationType 2) and so get no clients here.
    n_orgs = max(4, round(n_projects / 8))
    org_ids: list[str] = []
    for i in range(n_orgs + 1):
        row = sink.new("Organization")
        oid = sink.new_id("Organization")
        vsp = i == n_orgs
        base = f"{rng.choice(names.ORG_WORDS)} {rng.choice(names.ORG_SUFFIX)}"
        row[0:4] = (oid, "Safe Passage DV Services" if vsp else base, "1" if vsp else "0",
                    "Safe Passage" if vsp else base.split()[0])
        stamp = _stamp(dates, opened, rng)
        row[4:7] = (stamp, stamp, admin)
        sink.write("Organization", row)
        org_ids.append(oid)

    projects: list[Project] = []
    for i, ptype in enumerate(types):
        projects.append(_project(sink, rng, dates, ptype, org_ids[i % n_orgs], users, opened, False,
                                 forced[i]))
    for ptype in (0, 2):
        _project(sink, rng, dates, ptype, org_ids[-1], users, opened, True, 0)  # VSP, not in catalog

    # RRH services-only projects affiliated with residential projects (Affiliation.csv).
    residential = [p for p in projects if p.ptype in (2, 3, 9, 10)]
    for p in projects:
        if p.affiliated and residential:
            row = sink.new("Affiliation")
            stamp = _stamp(dates, opened, rng)
            row[0:7] = (sink.new_id("Affiliation"), p.id, rng.choice(residential).id, stamp, stamp, admin, "")
            sink.write("Affiliation", row)
    catalog = Catalog(projects, users)
    catalog.index()
    return catalog


def _write_users(sink: Sink, rng: random.Random, dates: Dates, first_day: int, n: int) -> list[str]:
    users = []
    for i in range(n):
        uid = sink.new_id("User")
        first = rng.choice(names.FEMALE_FIRST + names.MALE_FIRST)
        last = "Admin" if i == 0 else rng.choice(names.LAST)
        row = sink.new("User")
        email = f"{first}.{last}".lower().replace("'", "").replace(" ", "") + "@hmis.example.org"
        day = first_day - 3 * 365 + rng.randrange(300)
        row[0:8] = (uid, first, last, f"555{rng.randrange(10**7):07d}", "", email,
                    _stamp(dates, day, rng), _stamp(dates, day + 1 + rng.randrange(900), rng))
        sink.write("User", row)
        users.append(uid)
    return users


def _project(sink: Sink, rng: random.Random, dates: Dates, ptype: int, org: str, users: list[str],
             opened: int, vsp: bool, funder_index: int | None) -> Project:
    P = _P
    pid = sink.new_id("Project")
    admin = users[0]
    start = opened - rng.randrange(3650)
    created = _stamp(dates, start, rng)
    if funder_index is None:
        funders = [pick(rng, FUNDERS[ptype])]
    else:
        funders = [FUNDERS[ptype][funder_index][0]]
    if rng.random() < 0.3:
        extra = pick(rng, FUNDERS[ptype])
        if extra != funders[0]:
            funders.append(extra)
    fset = set(funders)
    proj = Project(pid, ptype, (), (1,), tuple(funders),
                   tuple(rng.sample(users[1:], min(3, len(users) - 1))))
    proj.vet = bool(fset & VET_FUNDERS)
    proj.youth = bool(fset & YOUTH_FUNDERS)
    proj.hopwa = bool(fset & HOPWA_FUNDERS)
    proj.path, proj.ssvf, proj.vash = 21 in fset, 33 in fset, 20 in fset
    proj.gpd = bool(fset & GPD_FUNDERS)
    proj.rhy = bool(fset & {22, 23, 24, 25, 26})
    proj.bcp, proj.yhdp = 22 in fset, 43 in fset
    proj.psh_moving_on = ptype == 3 and bool(fset & {2, 43, 56})
    if ptype == 13:
        proj.rrh_sub = 1 if rng.random() < 0.15 or funder_index == 1 else 2
        proj.affiliated = proj.rrh_sub == 1 and rng.random() < 0.6

    # Who it serves: drives Inventory rows and which households are sent here.
    if ptype in RESIDENTIAL and not (ptype == 13 and proj.rrh_sub == 1):
        if proj.bcp:
            hh = (4,)
        elif 23 in fset:
            hh = (3,)
        elif proj.youth:
            hh = rng.choice(((1,), (1, 3), (1, 3, 4)))
        elif proj.vet or ptype == 8:
            hh = (1,)
        else:
            hh = pick(rng, (((1,), 50), ((3,), 22), ((1, 3), 22), ((1, 3, 4), 6)))
    else:
        hh = (1, 3, 4)
    proj.hh_types = hh

    # CoCs: one mostly, sometimes two (so per-CoC splits are meaningful).
    cocs = [COC_CYCLE[int(pid) % len(COC_CYCLE)]]  # a fixed 3:2:1 spread, stable at any size
    if rng.random() < 0.15:
        other = rng.choice([c for c, _, _ in COCS if c != cocs[0]])
        cocs.append(other)
    proj.cocs = tuple(cocs)

    housing_type = ""
    if ptype in (0, 1, 2, 8):
        housing_type = "1" if rng.random() < 0.7 else "2"
    elif ptype in (3, 9, 10) or (ptype == 13 and proj.rrh_sub == 2):
        housing_type = "3" if rng.random() < 0.7 else rng.choice(("1", "2"))
    row = sink.new("Project")
    org_label = "Safe Passage" if vsp else rng.choice(names.ORG_WORDS)
    row[P.ProjectID], row[P.OrganizationID] = pid, org
    row[P.ProjectName] = f"{org_label} {TYPE_LABEL[ptype]} {pid}"
    row[P.ProjectCommonName] = f"{org_label} {TYPE_LABEL[ptype].split()[0]}"
    row[P.OperatingStartDate] = dates(start)
    row[P.ContinuumProject] = "0" if ptype == 7 or (ptype == 11 and rng.random() < 0.5) else "1"
    row[P.ProjectType] = str(ptype)
    row[P.HousingType] = housing_type
    if ptype == 13:
        row[P.RRHSubType] = str(proj.rrh_sub)
        if proj.rrh_sub == 1:
            row[P.ResidentialAffiliation] = "1" if proj.affiliated else "0"
    row[P.TargetPopulation] = "1" if vsp else "3" if proj.hopwa else "4"
    row[P.HOPWAMedAssistedLivingFac] = rng.choice(("0", "1")) if proj.hopwa else "2"
    beds = 0
    if ptype in RESIDENTIAL and not (ptype == 13 and proj.rrh_sub == 1):
        beds = rng.randint(8, 120) if ptype != 8 else rng.randint(6, 25)
        row[P.PITCount] = str(int(beds * rng.uniform(0.6, 1.0)))
    row[P.DateCreated], row[P.DateUpdated], row[P.UserID] = created, created, admin
    sink.write("Project", row)

    for code in funders:
        f = sink.new("Funder")
        f[0:3] = (sink.new_id("Funder"), pid, str(code))
        f[3] = "County general fund" if code == 46 else ""
        f[4] = f"GR-{code:02d}-{pid}-{rng.randrange(1000, 9999)}"
        f[5] = dates(start)
        f[7:10] = (created, created, admin)
        sink.write("Funder", f)

    for coc in cocs:
        geocode = next(g for c, _, g in COCS if c == coc)
        pc = sink.new("ProjectCoC")
        pc[0:10] = (sink.new_id("ProjectCoC"), pid, coc, geocode,
                    "" if vsp else f"{rng.randint(10, 9999)} {rng.choice(names.STREETS)}", "",
                    rng.choice(names.CITIES), "MA", f"0{rng.randint(1000, 2799)}",
                    str(rng.choice((1, 1, 2, 3))))
        pc[10:13] = (created, created, admin)
        sink.write("ProjectCoC", pc)

    if beds:
        _inventory(sink, rng, dates, proj, beds, start, created, admin)

    hp = sink.new("HMISParticipation")
    hp[0:5] = (sink.new_id("HMISParticipation"), pid, "2" if vsp else "1", dates(start), "")
    hp[5:8] = (created, created, admin)
    sink.write("HMISParticipation", hp)

    ce = sink.new("CEParticipation")
    access = ptype == 14 or (ptype in (4, 11) and rng.random() < 0.5)
    ce[0:10] = (sink.new_id("CEParticipation"), pid, "1" if access else "0",
                "1" if ptype in (12, 14) else "0", "1" if ptype in (14, 4) else "0",
                "1" if ptype == 14 else "0", "1" if ptype in (14, 4, 6) else "0",
                "1" if ptype in (0, 2, 3, 8, 9, 10, 13) else "0", dates(start), "")
    ce[10:13] = (created, created, admin)
    sink.write("CEParticipation", ce)
    return proj


def _inventory(sink: Sink, rng: random.Random, dates: Dates, proj: Project, beds: int,
               start: int, created: str, admin: str) -> None:
    """One Inventory row per household type served (plus a seasonal ES row sometimes)."""
    for hh in proj.hh_types:
        for seasonal in (False, True):
            if seasonal and not (proj.ptype in (0, 1) and rng.random() < 0.25):
                continue
            n = max(2, beds // len(proj.hh_types) // (3 if seasonal else 1))
            units = n if hh != 3 else max(1, n // 3)
            # Dedicated beds; the remainder is "other" so the parts always sum to BedInventory.
            ch = n // 3 if proj.ptype == 3 and hh == 1 else 0
            vet = n - ch if proj.vet and hh == 1 else 0
            youth = n if proj.youth and not vet else 0
            other = n - ch - vet - youth
            row = sink.new("Inventory")
            row[0:4] = (sink.new_id("Inventory"), proj.id, proj.cocs[0], str(hh))
            if proj.ptype in (0, 1):
                row[4] = "2" if seasonal else "1"
                row[14] = "1" if rng.random() < 0.8 else rng.choice(("2", "3"))
            row[5:14] = (str(units), str(n), "0", "0", str(vet), "0", str(youth), str(ch), str(other))
            if seasonal:
                row[15] = dates(start)
                row[16] = dates(start + 120)
            else:
                row[15] = dates(start)
            row[17:20] = (created, created, admin)
            sink.write("Inventory", row)


_P = Cols("Project")
