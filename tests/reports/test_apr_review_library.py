"""The move-in derivations shared by the APR and the CAPER (one copy, in the built-in library).

Library derivations written as expressions compose: each may read library names defined above it,
and a definition naming only the last of a chain gets every link built. The Pay for Success world
(tests/reports/test_apr_rounding_pfs.py) gives the cells: A, a youth alone in a type 7 project with
a funder 35 grant, started 2025-11-01, moved in 2025-11-21 (20 days), homeless since 2025-10-22
(30 days before housed); B in the same project never moved in; C in a type 7 project funded by CoC
only, with a move-in date that does not count.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hmis.expressions import check, parse, references
from hmis.reports import library

from .conftest import counts, run
from .test_apr_rounding_pfs import pay_for_success  # noqa: F401 - the fixture

MOVE_IN_NAMES = ("moves_in_like_psh_rrh", "housed_by_move_in", "counts_time_prior_to_housing", "housed_in_psh_rrh",
                 "days_to_move_in", "housed_on", "homeless_since", "days_prior_to_housing")
DEFINITIONS = Path(__file__).resolve().parents[2] / "report_definitions"


def test_each_expression_reads_only_library_names_defined_above_it():
    position = {name: index for index, name in enumerate(library.ORDER)}
    late = [(name, read) for name, text in library.EXPRESSIONS.items()
            for read in references(parse(text)) if read in position and position[read] >= position[name]]
    assert late == []


def test_each_expression_needs_what_it_reads():
    for name, text in library.EXPRESSIONS.items():
        read = references(parse(text)) & library.DERIVED.keys()
        assert read <= set(library.DERIVED[name].needs), name
    assert {"pay_for_success", "move_in_adjusted", "moved_in", "moves_in_like_psh_rrh"} <= \
        library.closure(["housed_in_psh_rrh"])


def test_each_expression_has_its_declared_kind():
    names = library.names()
    for name, text in library.EXPRESSIONS.items():
        assert check(parse(text), names).name == library.DERIVED[name].kind, name


@pytest.mark.parametrize("report", ["apr", "caper"])
def test_the_reports_no_longer_write_their_own_copy(report):
    body = yaml.safe_load((DEFINITIONS / f"{report}.yaml").read_text())
    own = {item["name"] for item in body["attributes"]}
    assert own.isdisjoint(MOVE_IN_NAMES)
    assert set(MOVE_IN_NAMES) <= set(library.EXPRESSIONS)


def test_a_definition_naming_only_the_end_of_a_chain_gets_every_link(pay_for_success):  # noqa: F811
    # Nothing here names pay_for_success or move_in_adjusted: the universe must build them for
    # housed_in_psh_rrh and days_prior_to_housing (before, a library expression's reads were not built).
    results = run("""
        tables:
          - id: T
            title: T
            rows:
              - {label: Moved in, when: housed_in_psh_rrh}
              - {label: Days to move-in, when: housed_in_psh_rrh, measure: {sum: days_to_move_in}}
              - {label: Days homeless before housed, when: "counts_time_prior_to_housing",
                 measure: {sum: days_prior_to_housing}}
              - {label: Time prior to housing counted, when: counts_time_prior_to_housing}
    """)
    assert counts(results, "T") == {"Moved in": 1, "Days to move-in": 20, "Days homeless before housed": 30,
                                    "Time prior to housing counted": 2}
