"""HUD's rules, one small hand-built case each, with the expected counts worked out by hand.

Report range: 2025-10-01 to 2026-09-30 (builders.START/END) unless a test says otherwise.
"""
from __future__ import annotations

from .conftest import counts, run

HOUSEHOLD_TYPES = """
tables:
  - id: H
    title: Household type
    rows:
      - {group: household_type, values: {without_children: Without children,
         with_children_and_adults: With children and adults, with_only_children: With only children,
         unknown: Unknown}}
      - {label: Households, measure: households}
"""


def test_household_type_from_every_active_member(world):
    shelter = world.project(0)
    # H1: adult + child -> with children and adults (2 persons)
    mom, kid = world.client("1990-01-01"), world.client("2018-06-01")
    world.enroll(mom, shelter, "2026-01-01", household="H1")
    world.enroll(kid, shelter, "2026-01-01", household="H1", relationship=2)
    # H2: two adults -> without children (2)
    a, b = world.client("1970-01-01"), world.client("1975-01-01")
    world.enroll(a, shelter, "2026-01-01", household="H2")
    world.enroll(b, shelter, "2026-01-01", household="H2", relationship=3)
    # H3: a 16-year-old alone -> with only children (1)
    teen = world.client("2009-12-01")
    world.enroll(teen, shelter, "2026-01-01", household="H3")
    # H4: adult + person of unknown age -> unknown (2); an unknown age beats "without children"
    c, unknown = world.client("1960-01-01"), world.client(None)
    world.enroll(c, shelter, "2026-01-01", household="H4")
    world.enroll(unknown, shelter, "2026-01-01", household="H4", relationship=3)
    # H5: adult + child + unknown -> with children and adults (3): adult and child decide first
    e, f, g = world.client("1985-01-01"), world.client("2020-01-01"), world.client(None)
    for person, rel in ((e, 1), (f, 2), (g, 2)):
        world.enroll(person, shelter, "2026-01-01", household="H5", relationship=rel)
    result = counts(run(HOUSEHOLD_TYPES), "H")
    assert result == {"Without children": 2, "With children and adults": 5, "With only children": 1, "Unknown": 2,
                      "Households": 5}


AGE = """
tables:
  - id: A
    title: Age
    rows:
      - {label: Under 5, when: "age >= 0 and age < 5"}
      - {label: 5-12, when: "age >= 5 and age <= 12"}
      - {label: 13-17, when: "age >= 13 and age <= 17"}
      - {label: 18-24, when: "age >= 18 and age <= 24"}
      - {label: 25+, when: "age >= 25"}
      - {label: DK/PNTA, when: "age_unknown and dob_data_quality in [8, 9]"}
      - {label: Data not collected, when: "age_unknown and not (coalesce(dob_data_quality, 99) in [8, 9])"}
"""


def test_age_is_taken_at_the_later_of_project_start_and_report_start(world):
    shelter = world.project(0)
    # started before the range: age at report start 2025-10-01 -> 17 (18th birthday 2025-10-02)
    world.enroll(world.client("2007-10-02"), shelter, "2025-06-01")
    # started in the range: age at start 2026-03-01 -> 18 (birthday 2026-02-28)
    world.enroll(world.client("2008-02-28"), shelter, "2026-03-01")
    # a birthday on the report start counts: 5 on 2025-10-01
    world.enroll(world.client("2020-10-01"), shelter, "2025-01-01")
    world.enroll(world.client("2021-10-02"), shelter, "2025-01-01")  # 3 on 2025-10-01
    world.enroll(world.client(None, dob_data_quality=8), shelter, "2026-01-01")
    world.enroll(world.client(None, dob_data_quality=99), shelter, "2026-01-01")
    world.enroll(world.client(None, dob_data_quality=None), shelter, "2026-01-01")
    result = counts(run(AGE), "A")
    assert result == {"Under 5": 1, "5-12": 1, "13-17": 1, "18-24": 1, "25+": 0, "DK/PNTA": 1,
                      "Data not collected": 2}


LEAVERS = """
tables:
  - id: L
    title: Leavers and stayers
    rows:
      - {label: Leavers, when: leaver}
      - {label: Stayers, when: stayer}
      - {label: Exit destinations, when: "leaver and destination = 410"}
"""


def test_leavers_and_stayers_use_the_latest_stay(world):
    shelter, other = world.project(0), world.project(2)
    # exited in range -> leaver
    world.enroll(world.client(), shelter, "2025-11-01", exit="2026-02-01", destination=410)
    # exited after report end -> stayer
    world.enroll(world.client(), shelter, "2026-05-01", exit="2026-10-15", destination=410)
    # exited and came back to another project: the latest stay is open -> stayer
    back = world.client()
    world.enroll(back, shelter, "2025-11-01", exit="2025-12-01", destination=410)
    world.enroll(back, other, "2026-04-01")
    # two stays the same day: the later-created one wins (a tie on start date)
    assert counts(run(LEAVERS), "L") == {"Leavers": 1, "Stayers": 2, "Exit destinations": 1}
    # filtered to the first project only, the returning client's latest stay there is a leaver
    assert counts(run(LEAVERS, projects=[shelter]), "L") == {"Leavers": 2, "Stayers": 1, "Exit destinations": 2}


CHRONIC = """
tables:
  - id: C
    title: Chronic
    rows:
      - {group: chronic_status, values: {"yes": "Yes", "no": "No", dk_pnta: DK/PNTA, missing: Missing}}
"""


def _ch(world, project, *, dob="1980-01-01", household=None, relationship=1, entry="2026-01-01", **fields):
    person = world.client(dob)
    fields.setdefault("disabling_condition", 1)
    world.enroll(person, project, entry, household=household, relationship=relationship, **fields)
    return person


def test_each_path_of_chronic_homelessness_at_start(world):
    shelter, psh = world.project(0), world.project(3)
    # 1. shelter, on the street a year or more before start -> yes
    _ch(world, shelter, date_to_street_essh=__import__("datetime").date(2024, 12, 31))
    # 2. shelter, 4+ times and 12 months -> yes
    _ch(world, shelter, times_homeless_past_three_years=4, months_homeless_past_three_years=112)
    # 3. shelter, 4+ times but 11 months -> no
    _ch(world, shelter, times_homeless_past_three_years=4, months_homeless_past_three_years=111)
    # 4. shelter, times 2 -> no
    _ch(world, shelter, times_homeless_past_three_years=2)
    # 5. shelter, times DK -> dk_pnta
    _ch(world, shelter, times_homeless_past_three_years=8)
    # 6. shelter, times missing -> missing
    _ch(world, shelter)
    # 7. not disabled -> no; 8. disabling condition refused -> dk_pnta; 9. not collected -> missing
    _ch(world, shelter, disabling_condition=0, times_homeless_past_three_years=4, months_homeless_past_three_years=113)
    _ch(world, shelter, disabling_condition=9)
    _ch(world, shelter, disabling_condition=99)
    # 10. disabling condition "no" but a developmental disability at entry -> treated as disabled -> yes
    person = world.client("1980-01-01")
    stay = world.enroll(person, shelter, "2026-01-01", disabling_condition=0, times_homeless_past_three_years=4,
                        months_homeless_past_three_years=113)
    world.disability(person, stay, "2026-01-01", 6, indefinite=None)
    # 11. PSH from an institution, under 90 days, street before -> time test -> yes
    _ch(world, psh, living_situation=207, los_under_threshold=1, previous_street_essh=1,
        times_homeless_past_three_years=4, months_homeless_past_three_years=113)
    # 12. PSH from an institution, stayed too long -> no
    _ch(world, psh, living_situation=207, los_under_threshold=0, previous_street_essh=1,
        times_homeless_past_three_years=4, months_homeless_past_three_years=113)
    # 13. PSH from a rental, not from the street before -> no
    _ch(world, psh, living_situation=410, los_under_threshold=1, previous_street_essh=0,
        times_homeless_past_three_years=4, months_homeless_past_three_years=113)
    # 14. PSH from the street (1xx) -> time test -> yes
    _ch(world, psh, living_situation=116, times_homeless_past_three_years=4, months_homeless_past_three_years=112)
    # 15. PSH with no living situation -> missing
    _ch(world, psh, times_homeless_past_three_years=4, months_homeless_past_three_years=112)
    # yes: 1, 2, 10, 11, 14; no: 3, 4, 7, 12, 13; DK/PNTA: 5, 8; missing: 6, 9, 15
    assert counts(run(CHRONIC), "C") == {"Yes": 5, "No": 5, "DK/PNTA": 2, "Missing": 3}


def test_chronic_status_spreads_to_the_household_present_at_start(world):
    shelter = world.project(0)
    yes = {"times_homeless_past_three_years": 4, "months_homeless_past_three_years": 112}
    # H1: a CH adult and a child who came together -> both yes; a second adult not CH, also there -> yes;
    # an adult joining later keeps their own status (no)
    _ch(world, shelter, household="H1", **yes)
    _ch(world, shelter, household="H1", relationship=2, dob="2015-01-01", disabling_condition=0)
    _ch(world, shelter, household="H1", relationship=3, disabling_condition=0)
    _ch(world, shelter, household="H1", relationship=3, disabling_condition=0, entry="2026-02-01")
    # H2: an HoH whose status is DK and a child -> the child takes DK
    _ch(world, shelter, household="H2", times_homeless_past_three_years=9)
    _ch(world, shelter, household="H2", relationship=2, dob="2016-01-01", disabling_condition=0)
    # H3: an HoH who is not CH and a child -> the child is no
    _ch(world, shelter, household="H3", disabling_condition=0)
    _ch(world, shelter, household="H3", relationship=2, dob="2016-01-01", disabling_condition=0)
    assert counts(run(CHRONIC), "C") == {"Yes": 3, "No": 3, "DK/PNTA": 2, "Missing": 0}


INCOME = """
tables:
  - id: I
    title: Income
    columns:
      - {label: Start, measure: {sum: "coalesce(start_income_total, 0)"}}
      - {label: Exit, measure: {sum: "coalesce(exit_income_total, 0)"}}
    rows:
      - {label: All}
  - id: K
    title: Income categories at start
    rows:
      - {label: No income, when: "start_income_total = 0"}
      - {label: Has income, when: "start_income_total > 0"}
      - {label: DK/PNTA, when: "start_income_total is null and start_income_from_any_source in [8, 9]"}
      - {label: Missing, when: "start_income_total is null and not (coalesce(start_income_from_any_source, 99) in [8, 9])"}
      - {label: Earned, when: "start_earned_income is not null"}
"""


def test_total_monthly_income_rules_and_stage_records(world):
    shelter = world.project(0)

    def person(entry="2026-01-01", exit=None):
        client = world.client()
        return client, world.enroll(client, shelter, entry, exit=exit, destination=410 if exit else None)

    a, sa_ = person(exit="2026-03-01")  # total entered: 500 at start, 700 at exit
    world.income(a, sa_, "2026-01-01", 1, income_from_any_source=1, total_monthly_income=500, earned=1, earned_amount=500)
    world.income(a, sa_, "2026-03-01", 3, income_from_any_source=1, total_monthly_income=700)
    # no total, sources summed: SSI 200; the alimony amount (100) is left out because Alimony is not 1 -
    # this test used to expect 300, which summed an amount whose source was not marked yes (HUD's Data
    # Lab code, the answer key, sums only sources marked yes with a positive amount)
    b, sb = person()
    world.income(b, sb, "2026-01-01", 1, income_from_any_source=1, ssi=1, ssi_amount=200, snap=1,
                 other_income_source=1, alimony_amount=100)
    c, sc = person()  # no income -> 0
    world.income(c, sc, "2026-01-01", 1, income_from_any_source=0)
    d_, sd = person()  # prefers not to answer -> DK/PNTA
    world.income(d_, sd, "2026-01-01", 9, income_from_any_source=9)
    world.income(d_, sd, "2026-01-01", 1, income_from_any_source=9)
    e, se = person()  # a start record dated a day late does not count -> missing
    world.income(e, se, "2026-01-02", 1, income_from_any_source=1, total_monthly_income=900)
    f, sf = person()  # earned "yes" without an amount: earned income 0; any source 1 with total 0 -> 0
    world.income(f, sf, "2026-01-01", 1, income_from_any_source=1, total_monthly_income=0, earned=1)
    result = run(INCOME)
    assert counts(result, "I", "Start") == {"All": 700}
    assert counts(result, "I", "Exit") == {"All": 700}
    assert counts(result, "K") == {"No income": 2, "Has income": 2, "DK/PNTA": 1, "Missing": 1, "Earned": 2}


ANNUAL = """
tables:
  - id: AA
    title: Annual assessment
    rows:
      - {label: Due, when: annual_assessment_due}
      - {label: With record, when: "annual_assessment_due and annual_income_record"}
      - {label: Income at assessment, measure: {sum: "coalesce(annual_income_total, 0)"}}
"""


def test_annual_assessment_window(world):
    psh = world.project(3)
    # HoH started 2024-03-15: anniversary in the report year is 2026-03-15; window 2026-02-13 .. 2026-04-14
    hoh, kid, late = world.client("1980-01-01"), world.client("2015-01-01"), world.client("1990-01-01")
    s1 = world.enroll(hoh, psh, "2024-03-15", household="H1")
    s2 = world.enroll(kid, psh, "2024-03-15", household="H1", relationship=2)
    world.enroll(late, psh, "2026-04-01", household="H1", relationship=3)  # joined after the anniversary: not due
    world.income(hoh, s1, "2026-02-13", 5, income_from_any_source=1, total_monthly_income=100)  # first day: counts
    world.income(hoh, s1, "2026-04-10", 5, income_from_any_source=1, total_monthly_income=300)  # latest in window
    world.income(kid, s2, "2026-04-15", 5, income_from_any_source=0)  # one day past the window: ignored
    # a household in its first year: nothing due
    new = world.client()
    world.enroll(new, psh, "2025-12-01")
    # a leaver is never due
    gone = world.client()
    world.enroll(gone, psh, "2024-01-01", exit="2026-05-01", destination=410)
    assert counts(run(ANNUAL), "AA") == {"Due": 2, "With record": 1, "Income at assessment": 300}


def test_night_by_night_shelter_needs_a_bed_night_in_range(world):
    nbn = world.project(1)
    slept = world.client()
    stay = world.enroll(slept, nbn, "2025-01-01")
    world.bed_night(slept, stay, "2026-01-05")
    world.bed_night(slept, stay, "2026-01-06")
    world.bed_night(slept, stay, "2025-09-30")  # before the range: not a night in the range
    never = world.client()
    world.enroll(never, nbn, "2025-01-01")  # open, but no bed night in range: not active
    text = """
    tables:
      - id: N
        title: Nights
        rows:
          - {label: People}
          - {label: Bed nights, measure: {sum: bed_nights}}
    """
    assert counts(run(text), "N") == {"People": 1, "Bed nights": 2}


def test_destination_classes_and_positive_destinations(world):
    shelter, outreach = world.project(0), world.project(4)
    for project, destination in ((shelter, 410), (shelter, 101), (shelter, 206), (outreach, 101), (outreach, 329),
                                 (shelter, 99), (shelter, None)):
        world.enroll(world.client(), project, "2026-01-01", exit="2026-02-01", destination=destination)
    text = """
    tables:
      - id: D
        title: Destinations
        rows:
          - {group: destination_class, values: {homeless: Homeless, institutional: Institutional,
             temporary: Temporary, permanent: Permanent, other: Other}}
          - {label: Positive, when: destination_positive}
          - {label: Excluded, when: destination_excluded}
          - {label: Rate, when: destination_positive, measure: {percent: {of: "leaver and not destination_excluded"}}}
    """
    result = counts(run(text), "D")
    # positive: 410 from ES, 101 from SO (2); excluded: 206 from ES, 329 from SO (2); rate 2 / (7 - 2) = 0.4
    assert result == {"Homeless": 2, "Institutional": 1, "Temporary": 1, "Permanent": 1, "Other": 2, "Positive": 2,
                      "Excluded": 2, "Rate": 0.4}


def test_youth_and_parenting_youth(world):
    shelter = world.project(0)
    # Y1: a 20-year-old mother and her baby -> the mother is youth (the baby is under 12) and parenting
    world.enroll(world.client("2005-06-01"), shelter, "2026-01-01", household="Y1")
    world.enroll(world.client("2025-01-01"), shelter, "2026-01-01", household="Y1", relationship=2)
    # Y2: a 19-year-old with a 30-year-old partner -> nobody in the household is youth
    world.enroll(world.client("2006-06-01"), shelter, "2026-01-01", household="Y2")
    world.enroll(world.client("1995-06-01"), shelter, "2026-01-01", household="Y2", relationship=3)
    # Y3: a 17-year-old alone -> youth, not parenting
    world.enroll(world.client("2008-11-01"), shelter, "2026-01-01", household="Y3")
    text = """
    tables:
      - id: Y
        title: Youth
        rows:
          - {label: Youth, when: is_youth}
          - {label: Parenting youth, when: is_parenting_youth}
    """
    assert counts(run(text), "Y") == {"Youth": 2, "Parenting youth": 1}
