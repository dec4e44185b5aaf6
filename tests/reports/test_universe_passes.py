"""The universe's record look-ups as one pass per record type (hmis.reports.passes).

Each pass picks "the latest record" with a window over the stay's records instead of a
look-up per row, so these tests pin the rules a look-up had: the newest by date (then id)
of the stage it reads, records after report end ignored, no record -> none; bed nights
counted once per date and only inside the stay; a pass is built only when the definition
reads one of its attributes; and drill-down (one SELECT, the passes as subqueries) lists
the same people the counts found.

Report range 2025-10-01 to 2026-09-30.

  A  ES entry/exit 2025-11-01 to 2026-03-01; physical disability (5): start 2025-11-01 "no",
     start 2025-11-05 "yes" (the later start record wins), exit 2026-03-01 "no" (the latest),
     start 2026-10-15 "yes, alcohol" (after report end: not read); mental health (9) only at
     exit, "yes"
  B  ES entry/exit 2025-12-01, stayer, no records: every disability attribute is none
  N  ES night-by-night 2025-12-01 to 2026-01-01: bed nights 2025-11-30 (before the start),
     2025-12-02 twice, 2025-12-03, 2026-01-01 (the exit night: not a bed night of the stay)
"""
from __future__ import annotations

import sqlalchemy as sa

from hmis.extensions import db
from hmis.reports.definition import load_definition
from hmis.reports.engine import ReportEngine, run_report
from hmis.reports.parameters import ReportParameters, parse_parameters
from hmis.reports.universe import build_universe

from .builders import END, START
from .conftest import compile_body

DEFINITION = """
tables:
  - id: D
    title: Disability records by stage
    columns: [{label: Count}]
    rows:
      - {label: start yes, when: "start_physical_disability = 1"}
      - {label: start no, when: "start_physical_disability = 0"}
      - {label: exit no, when: "exit_physical_disability = 0"}
      - {label: latest no, when: "latest_physical_disability = 0"}
      - {label: latest alcohol, when: "latest_physical_disability = 2"}
      - {label: no start record, when: "start_physical_disability is null"}
      - {label: mental at exit only, when: "exit_mental_health_disorder = 1 and start_mental_health_disorder is null"}
  - id: N
    title: Night by night
    columns: [{label: Count}]
    rows:
      - {label: three nights, when: "project_type = 1 and length_of_stay = 2 and bed_nights = 2"}
      - {label: last night, when: "last_bed_night = date('2025-12-03')"}
"""


def _world(world):
    es, nbn = world.project(0), world.project(1)
    a, b, n = world.client("1980-01-01"), world.client("1981-01-01"), world.client("1982-01-01")
    stay = world.enroll(a, es, "2025-11-01", exit="2026-03-01", destination=410)
    world.disability(a, stay, "2025-11-01", 5, response=0, stage=1)
    world.disability(a, stay, "2025-11-05", 5, response=1, stage=1)
    world.disability(a, stay, "2026-03-01", 5, response=0, stage=3)
    world.disability(a, stay, "2026-10-15", 5, response=2, stage=1)
    world.disability(a, stay, "2026-03-01", 9, response=1, stage=3)
    world.enroll(b, es, "2025-12-01")
    nights = world.enroll(n, nbn, "2025-12-01", exit="2026-01-01", destination=410)
    for day in ("2025-11-30", "2025-12-02", "2025-12-02", "2025-12-03", "2026-01-01"):
        world.bed_night(n, nights, day)


def test_the_latest_record_of_each_stage_and_bed_nights_once_per_date(world):
    _world(world)
    results = run_report(load_definition(compile_body(DEFINITION)), parse_parameters({"start": START, "end": END}),
                         db.session.connection())
    found = {table["id"]: {row["label"]: row["cells"][0] for row in table["rows"]} for table in results["tables"]}
    assert found["D"] == {"start yes": 1, "start no": 0, "exit no": 1, "latest no": 1, "latest alcohol": 0,
                          "no start record": 2, "mental at exit only": 1}
    # 2025-12-02 (twice) and 2025-12-03: two nights; the night before the start and the exit night are not the stay's
    assert found["N"] == {"three nights": 1, "last night": 1}


def test_drilldown_lists_the_people_the_passes_counted(world):
    _world(world)
    definition = load_definition(compile_body(DEFINITION))
    params = parse_parameters({"start": START, "end": END})
    results = run_report(definition, params, db.session.connection())
    for table, found in zip(definition.tables, results["tables"]):
        for r, row in enumerate(table.rows):
            listed = ReportEngine(definition, params, db.engine.dialect.name).drilldown_query(table, r, 0)
            total = db.session.execute(sa.select(sa.func.count()).select_from(listed.subquery())).scalar_one()
            assert total == found["rows"][r]["cells"][0], (table.id, row.label)


def test_only_the_passes_a_definition_reads_are_written(app):
    params = ReportParameters(START, END)

    def layers(*wanted: str) -> list[str]:
        universe = build_universe(params, db.engine.dialect.name, wanted, prefix="t")
        return [step.table.removeprefix("t_") for step in universe.steps]

    base = ["disabled_at_start", "stays", "staged"]
    assert layers("age", "household_type") == base
    assert layers("start_hiv_aids", "dv_survivor") == [*base, "disabilities_pass", "health_pass"]
    assert layers("length_of_stay", "start_income_total") == [*base, "income_pass", "services_pass"]
    assert layers("pit_january", "last_contact_date") == [*base, "contacts_pass", "pit_pass"]
