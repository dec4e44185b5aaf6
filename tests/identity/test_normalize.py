"""Normalizing names, SSNs and DOBs before they are compared."""
from datetime import date

import pytest

from hmis.identity.normalize import PersonRecord, canonical_first, fold, name_tokens, prepare, soundex, ssn_parts


def test_fold_strips_accents_case_and_punctuation():
    assert fold("  José  Núñez ") == "jose nunez"
    assert fold("O'Brien") == "obrien"
    assert fold("St. Clair") == "st clair"
    assert fold("Zoë") == "zoe"
    assert fold(None) == ""


def test_hyphenated_and_compound_surnames_split_into_words():
    assert name_tokens("García-López") == ("garcia", "lopez")
    assert name_tokens("de la Cruz") == ("de", "la", "cruz")
    p = prepare(PersonRecord("1", "Ana", last="de la Cruz"))
    assert p.last == "delacruz" and p.last_tokens == {"cruz"}


@pytest.mark.parametrize(("nick", "formal"), [
    ("bill", "william"), ("billy", "william"), ("bob", "robert"), ("peggy", "margaret"),
    ("lupe", "guadalupe"), ("pancho", "francisco"), ("chuy", "jesus"), ("pepe", "jose"),
])
def test_nicknames_reach_their_formal_name(nick, formal):
    assert formal in canonical_first(nick)
    assert canonical_first(formal) == {formal}


def test_ambiguous_nickname_keeps_every_formal_name():
    assert {"patrick", "patricia"} <= canonical_first("pat")


def test_suffix_typed_into_last_name_is_moved_out():
    p = prepare(PersonRecord("1", "John", last="Smith Jr."))
    assert p.last == "smith" and p.suffix == "jr"


def test_soundex():
    assert soundex("robert") == soundex("rupert") == "r163"
    assert soundex("tymczak") == "t522"
    assert soundex("ashcraft") == "a261"  # h does not separate equal codes
    assert soundex("") == ""


@pytest.mark.parametrize("ssn", [
    "000123456", "666123456", "900123456", "123456789", "111111111", "123-00-4567", "123450000",
    "987654321", "078051120",
])
def test_invalid_ssn_patterns_are_ignored(ssn):
    assert ssn_parts(ssn, 1)[0] is None


def test_ssn_forms():
    assert ssn_parts("123-45-6780", 1) == ("123456780", "6780")
    assert ssn_parts("xxxxx6780", 2) == (None, "6780")
    assert ssn_parts("XXX-XX-6780", 2) == (None, "6780")
    assert ssn_parts("6780", 2) == (None, "6780")
    assert ssn_parts("123456780", 99) == (None, None)  # DQ "data not collected" wins
    assert ssn_parts("", 1) == (None, None)
    assert ssn_parts("12345", 1) == (None, None)


def test_unknown_data_quality_hides_the_value():
    p = prepare(PersonRecord("1", "Mary", last="Smith", dob=date(1980, 1, 1), dob_dq=99, name_dq=1, sex=99))
    assert p.dob is None and p.sex is None
    p = prepare(PersonRecord("1", "Anonymous", last="Client", name_dq=9))
    assert p.first == "" and p.last == ""
