"""The engine end to end on both databases: universe, latest stay, measures, empty universe."""
from __future__ import annotations

from .conftest import counts, run

BASIC = """
tables:
  - id: T
    title: Basics
    rows:
      - {label: All, when: "true"}
      - {label: Adults, when: "is_adult"}
      - {label: Children, when: "is_child"}
      - {label: Unknown age, when: "age_unknown"}
      - {label: Leavers, when: "leaver"}
      - {label: Stayers, when: "stayer"}
      - {label: Households, when: "true", measure: households}
      - {label: Stays, when: "true", measure: enrollments}
"""


def test_counts_people_once_from_their_latest_stay(world):
    shelter = world.project(0)
    adult = world.client("1980-05-01")
    world.enroll(adult, shelter, "2025-09-01", exit="2025-11-01", destination=410)  # earlier stay: leaver
    world.enroll(adult, shelter, "2026-01-10")  # latest stay: a stayer
    child = world.client("2015-01-01")
    world.enroll(child, shelter, "2026-02-01", exit="2026-03-01", destination=410)
    nobody = world.client(None)
    world.enroll(nobody, shelter, "2026-02-01")
    outside = world.client()
    world.enroll(outside, shelter, "2024-01-01", exit="2025-09-30")  # exited before the range
    result = counts(run(BASIC), "T")
    assert result == {"All": 3, "Adults": 1, "Children": 1, "Unknown age": 1, "Leavers": 1, "Stayers": 2,
                      "Households": 3, "Stays": 3}


def test_empty_universe_gives_zeros(world):
    world.project(0)
    result = counts(run(BASIC), "T")
    assert set(result.values()) == {0}


def test_sum_average_median_and_percent(world):
    shelter = world.project(0)
    for dob, entry, exit_ in (("1980-01-01", "2026-01-01", "2026-01-11"), ("1981-01-01", "2026-01-01", "2026-01-21"),
                              ("1982-01-01", "2026-01-01", "2026-02-01"), ("1983-01-01", "2026-01-01", "2026-03-02")):
        world.enroll(world.client(dob), shelter, entry, exit=exit_, destination=410 if dob < "1982" else 116)
    text = """
    tables:
      - id: M
        title: Measures
        rows:
          - {label: Sum, measure: {sum: length_of_stay}}
          - {label: Average, measure: {average: length_of_stay}}
          - {label: Median, measure: {median: length_of_stay}}
          - {label: Positive, when: destination_positive, measure: {percent: {of: "leaver and not destination_excluded"}}}
    """
    result = counts(run(text), "M")
    # stays of 10, 20, 31 and 60 days
    assert result == {"Sum": 121, "Average": 30.25, "Median": 25.5, "Positive": 0.5}
