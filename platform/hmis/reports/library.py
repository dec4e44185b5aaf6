"""The names a report definition may use, with their kinds: HUD's built-in derivations.

Every row of a report's universe carries the stay's and client's HUD fields (``BASE``)
and, when a definition names them, the derived attributes below (``DERIVED``): age at
the later of project start and report start, household type, chronic homelessness at
start with household propagation, leaver/stayer, length of stay, bed nights, income at
start / annual assessment / exit, destination class... Their SQL is in
:mod:`hmis.reports.universe`; the ones that are plain rules are written here in the
expression language itself, so an HMIS lead can read exactly what "leaver" means.

This module needs no database: the definition checker uses :func:`names` to refuse an
unknown attribute at publish time.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import sqlalchemy as sa

from ..expressions import Type, parse, references
from ..hud import codelists

__all__ = ["ATTRIBUTES", "BASE", "DERIVED", "describe", "closure", "names", "sql_type"]

#: Fields of the stay, exit, client and household every universe row has: name -> kind.
BASE: dict[str, str] = {
    "enrollment_pk": "number", "client_pk": "number", "data_source_id": "number", "personal_id": "text",
    "enrollment_id": "text", "person_key": "text", "household_key": "text", "project_id": "text",
    "project_type": "number", "entry_date": "date", "exit_date": "date", "move_in_date": "date",
    "relationship_to_hoh": "number", "enrollment_coc": "text", "living_situation": "number",
    "length_of_stay_prior": "number", "los_under_threshold": "number", "previous_street_essh": "number",
    "date_to_street_essh": "date", "times_homeless_past_three_years": "number",
    "months_homeless_past_three_years": "number", "disabling_condition": "number", "date_of_engagement": "date",
    "enrollment_created": "date", "exit_created": "date", "destination": "number",
    "destination_subsidy_type": "number", "housing_assessment": "number", "dob": "date", "dob_data_quality": "number",
    "veteran_status": "number", "first_name": "text", "last_name": "text", "name_data_quality": "number",
    "ssn": "text", "ssn_data_quality": "number", "ssn_valid": "number", "sex": "number", "race_none": "number",
    "am_ind_ak_native": "number", "asian": "number", "black_af_american": "number", "hispanic_latinao": "number",
    "mid_east_n_african": "number", "native_hi_pacific": "number", "white": "number", "client_created": "date",
    "age": "number", "chronic_individual": "text", "household_type": "text", "household_start": "date",
    "hoh_entry_date": "date", "hoh_move_in_date": "date", "hoh_exit_date": "date",
    "hoh_chronic_individual": "text", "household_max_age": "number", "household_size": "number",
    "household_has_hoh": "number", "household_hoh_count": "number", "household_chronic_at_start": "number",
    "household_has_child_member": "number", "hoh_date_to_street_essh": "date",
    "subsidy_information": "number", "hoh_age": "number", "household_chronic_known": "number",
}
BASE_NAMES = tuple(BASE)

_POSITIVE_FROM_OUTREACH = "[101, 118, 215, 204, 205, 225, 314, 312, 313, 302, 327, 332, 410, 411, 421, 422, 423, 426, 435]"
_PERMANENT = "[410, 411, 421, 422, 423, 426, 435]"


class Derived:
    """A derived attribute: its kind, what it means, what it needs, and (when a plain rule) its expression."""

    def __init__(self, kind: str, description: str, expression: str | None = None,
                 needs: tuple[str, ...] = ()) -> None:
        self.kind = kind
        self.description = description
        self.expression = expression
        self.needs = needs


#: The CE APR's assessment and event look-ups run only for rows of assessed households.
_CE_ASSESSED = ("ce_household_assessed",)

#: In dependency order: each needs only names above it (or in BASE).
DERIVED: dict[str, Derived] = {
    "is_adult": Derived("yes/no", "Age 18 or over (age at the later of project start and report start).",
                        "age is not null and age >= 18"),
    # A birth date after the later of start and report start (a negative age) still makes a child, as
    # in HUD's Data Lab code (the answer key's add_client_info puts every age under 18 in "Children").
    "is_child": Derived("yes/no", "Under 18, a birth date after the age date included.",
                        "age is not null and age < 18"),
    "age_unknown": Derived("yes/no", "No date of birth.", "age is null"),
    "is_hoh": Derived("yes/no", "Head of household (3.15 = 1).", "coalesce(relationship_to_hoh, 0) = 1"),
    "adult_or_hoh": Derived("yes/no", "An adult, or a head of household of any age.", "is_adult or is_hoh",
                            ("is_adult", "is_hoh")),
    "leaver": Derived("yes/no", "Exited the latest stay by report end.",
                      "exit_date is not null and exit_date <= report.end"),
    "stayer": Derived("yes/no", "Not a leaver: no exit, or an exit after report end.", "not leaver", ("leaver",)),
    "veteran": Derived("yes/no", "An adult with veteran status 'yes'.", "is_adult and veteran_status = 1",
                       ("is_adult",)),
    "is_youth": Derived("yes/no", "Age 12 to 24 in a household where nobody is over 24.",
                        "age is not null and age >= 12 and age <= 24 and household_max_age <= 24"),
    "is_parenting_youth": Derived("yes/no", "A youth HoH or adult in a youth household with a son or daughter "
                                            "of the HoH aged 24 or under.",
                                  "is_youth and adult_or_hoh and coalesce(relationship_to_hoh, 0) != 2 "
                                  "and household_has_child_member = 1", ("is_youth", "adult_or_hoh")),
    "chronic_status": Derived("text", "Chronically homeless at start after household propagation: "
                                      "'yes', 'no', 'dk_pnta' or 'missing'."),
    "household_chronic_status": Derived("text", "The household's chronic status at start from its adults and HoH "
                                                "(APR Q26a), after household propagation: 'yes' when any is, 'no' "
                                                "when all are, else 'dk_pnta' when any is, else 'missing'."),
    "move_in_adjusted": Derived("date", "Housing move-in date as HUD adjusts it (the HoH's, for members "
                                        "present then; none when invalid or after report end)."),
    "moved_in": Derived("yes/no", "Moved into housing by report end (PSH, OPH, RRH, Pay for Success).",
                        "move_in_adjusted is not null", ("move_in_adjusted",)),
    "length_of_stay": Derived("number", "Days from project start to exit or report end + 1 (ES-NbN: bed nights)."),
    "bed_nights": Derived("number", "Nights inside the report range (ES-NbN: distinct bed-night dates)."),
    "annual_assessment_due": Derived("yes/no", "A stayer whose household is past its first anniversary "
                                               "and who was there by the anniversary."),
    "destination_class": Derived(
        "text", "Destination band: 'homeless', 'institutional', 'temporary', 'permanent' or 'other'.",
        "if(destination >= 100 and destination < 200, 'homeless', if(destination >= 200 and destination < 300, "
        "'institutional', if(destination >= 300 and destination < 400, 'temporary', "
        "if(destination >= 400 and destination < 500, 'permanent', 'other'))))"),
    "destination_positive": Derived(
        "yes/no", "A positive housing destination for the project type exited from (HUD's classification).",
        f"coalesce(if(project_type = 4, destination in {_POSITIVE_FROM_OUTREACH}, destination in {_PERMANENT}), false)"),
    "destination_excluded": Derived(
        "yes/no", "A destination that takes the leaver out of the positive-destination rate.",
        "coalesce(if(project_type = 4, destination in [206, 329, 24], destination in [206, 215, 225, 24]), false)"),
    "ce_assessment_in_range": Derived("yes/no", "A coordinated entry assessment (4.19) of this stay dated in the range."),
    "ce_household_assessed": Derived("yes/no", "CE APR universe: the latest coordinated entry assessment (4.19) "
                                               "dated in the range on a stay of this person's household (same "
                                               "household id, same project), made while the project was a CE access "
                                               "point (2.09), falls inside this person's stay, in a continuum "
                                               "project (1.10). 4.19 is collected for "
                                               "the head only, so members count through the head's assessment. "
                                               "Only each person's own latest assessment counts: one followed by "
                                               "a later one of the same person (in another household) does not."),
    "ce_household_active": Derived("yes/no", "CE APR Q4a: this stay covers the date of a coordinated entry "
                                             "assessment (4.19) or event (4.20) dated in the range on a stay of "
                                             "its household, made while the project was a CE access point (2.09)."),
    "ce_household_type": Derived("text", "CE APR Q7a-Q9d: household type among the household's members counted "
                                         "with its latest assessment (ce_household_assessed), by their ages (a "
                                         "negative age is a child, as HUD's answer key counts it); blank outside "
                                         "assessed households.", needs=_CE_ASSESSED),
    "ce_assessment_date": Derived("date", "CE APR: date of the household's latest coordinated entry assessment "
                                          "(4.19) in the range, on any member's stay of this household and project, "
                                          "when this stay covers it (ce_household_assessed); else blank.",
                                  needs=_CE_ASSESSED),
    "ce_assessment_type": Derived("number", "Assessment type (4.19.3) of the household's latest assessment in the "
                                            "range.", needs=_CE_ASSESSED),
    "ce_assessment_level": Derived("number", "Assessment level (4.19.4) of the household's latest assessment in the "
                                             "range.", needs=_CE_ASSESSED),
    "ce_prioritization_status": Derived("number", "Prioritization status (4.19.7) of the household's latest "
                                                  "assessment in the range.", needs=_CE_ASSESSED),
    "ce_event": Derived("number", "CE APR Q9c/Q9d: the event (4.20.2) following the household's latest assessment: "
                                  "the person's latest event (of every client record resolved to them, on any stay, "
                                  "of any CoC or project) dated from that assessment to report end + 90 days and "
                                  "before their latest assessment after report end, one on this stay first, else "
                                  "one on any stay.", needs=_CE_ASSESSED),
    "ce_event_referral_result": Derived("number", "Referral result (4.20.D) of that event.", needs=_CE_ASSESSED),
    "ce_event_prob_sol_result": Derived("number", "Problem solving/diversion result (4.20.A) of that event.",
                                        needs=_CE_ASSESSED),
    "ce_event_case_manage_after": Derived("number", "Enrolled in aftercare (4.20.B) on that event.",
                                          needs=_CE_ASSESSED),
    "ce_events_in_range": Derived("number", "Coordinated entry events (4.20) dated in the range on any of the "
                                            "client's stays in the reported projects while a CE access point "
                                            "(2.09)."),
}

#: Data collection points with an income record: start (stage 1 on the start date), the annual
#: assessment (latest stage 5 within 30 days of the anniversary) and exit (stage 3 on the exit date).
INCOME_STAGES = ("start", "annual", "exit")
INCOME_SOURCE_AMOUNTS = (
    "earned", "unemployment", "ssi", "ssdi", "va_disability_service", "va_disability_non_service",
    "private_disability", "workers_comp", "tanf", "ga", "soc_sec_retirement", "pension", "child_support", "alimony",
)
#: IncomeBenefits yes/no fields offered per stage, e.g. ``start_ssi`` or ``exit_snap``.
INCOME_FLAGS = (
    "income_from_any_source", *INCOME_SOURCE_AMOUNTS, "other_income_source", "benefits_from_any_source", "snap",
    "wic", "tanf_child_care", "tanf_transportation", "other_tanf", "other_benefits_source",
    "insurance_from_any_source", "medicaid", "medicare", "schip", "vha_services", "employer_provided", "cobra",
    "private_pay", "state_health_ins", "indian_health_services", "other_insurance",
)
_INCOME_SPECIAL = {"income_record": "yes/no", "income_total": "number", "earned_income": "number"}


def income_names(stage: str) -> tuple[str, ...]:
    return tuple(f"{stage}_{field}" for field in (*_INCOME_SPECIAL, *INCOME_FLAGS))


def split_income_name(name: str) -> tuple[str, str]:
    """``start_income_total`` -> ("start", "total"); ``exit_ssi`` -> ("exit", "ssi")."""
    stage, _, field = name.partition("_")
    return stage, {"income_record": "record", "income_total": "total"}.get(field, field)


for _stage in INCOME_STAGES:
    _label = {"start": "at project start", "annual": "at the annual assessment", "exit": "at exit"}[_stage]
    DERIVED[f"{_stage}_income_record"] = Derived("yes/no", f"An income and benefits record {_label}.")
    DERIVED[f"{_stage}_income_total"] = Derived("number", f"Total monthly cash income {_label} (HUD's rules; "
                                                          "null when unknown).")
    DERIVED[f"{_stage}_earned_income"] = Derived("number", f"Monthly earned income {_label}.")
    for _field in INCOME_FLAGS:
        DERIVED[f"{_stage}_{_field}"] = Derived("number", f"IncomeBenefits {_field} {_label}.")

#: Point-in-time dates (APR Q7b/Q8b): the last Wednesday of these months inside the report range.
PIT_MONTHS = {"january": 1, "april": 4, "july": 7, "october": 10}
for _month in PIT_MONTHS:
    DERIVED[f"pit_{_month}"] = Derived(
        "yes/no", f"Present on the last Wednesday of {_month.title()} inside the report range on any of the "
                  "client's stays: started by then, not exited before it (residential: exited after it), moved "
                  "in by then (PSH/RRH), a bed night on it (ES night-by-night).")

#: Disability types (4.05-4.10, list 1.3) with the name reports use for each.
DISABILITY_TYPES = {
    "physical_disability": 5, "developmental_disability": 6, "chronic_health_condition": 7, "hiv_aids": 8,
    "mental_health_disorder": 9, "substance_use_disorder": 10,
}
#: Which 4.05-4.10 record a stage reads: start (stage 1), exit (stage 3), latest (any, dated by report end).
DISABILITY_STAGES = {"start": "at project start (dated by report end)", "exit": "at exit (dated by report end)",
                     "latest": "latest dated by report end"}
for _stage, _label in DISABILITY_STAGES.items():
    for _name in DISABILITY_TYPES:
        DERIVED[f"{_stage}_{_name}"] = Derived(
            "number", f"Disability response (4.05-4.10; substance use 1 alcohol, 2 drugs, 3 both) for "
                      f"{_name.replace('_', ' ')}, record {_label}.")

DERIVED["dv_survivor"] = Derived("number", "Domestic violence survivor (4.11) on the latest record dated by "
                                           "report end that answers it.")
DERIVED["dv_when_occurred"] = Derived("number", "When the domestic violence occurred (4.11.A) on that record.")

# Street outreach / ES-NbN contacts (APR Q9a/Q9b, reports.md): the stay's current living situations
# (4.12) from its start to its exit, its engagement and report end; with an engagement date that has
# no 4.12 record the engagement itself is one more contact.
DERIVED["outreach_contacts"] = Derived("number", "Contacts counted for the stay (4.12 records from start to exit, "
                                                 "engagement and report end, plus the engagement when it has none).")
DERIVED["outreach_contact_in_range"] = Derived("yes/no", "One of those 4.12 contacts is dated in the report range.")
DERIVED["outreach_first_contact_situation"] = Derived(
    "number", "The 4.12 situation at the first counted contact (37 when the engagement is the only contact).")


# --- b ---
# Youth education (4.26, APR Q27m): the stay's latest YouthEducationStatus record of a stage.
EDUCATION_STAGES = {"start": 1, "exit": 3}
EDUCATION_FIELDS = ("current_school_attend", "most_recent_ed_status", "current_ed_status")
for _stage, _code in EDUCATION_STAGES.items():
    _label = {"start": "at project start", "exit": "at exit"}[_stage]
    DERIVED[f"{_stage}_education_record"] = Derived(
        "yes/no", f"A youth education status record (4.26, stage {_code}) {_label}.")
    for _field in EDUCATION_FIELDS:
        DERIVED[f"{_stage}_{_field}"] = Derived(
            "number", f"Youth education status {_field} (C3.2/C3.A/C3.B) on the latest stage-{_code} "
                      f"4.26 record {_label}.")
DERIVED["yhdp_funded"] = Derived(
    "yes/no", "The stay's project has a YHDP grant (2.06 funder 43) that starts by report end and has not "
              "ended before report start (APR Q27m).")


def disability_parts(name: str) -> tuple[str, int] | None:
    """``exit_hiv_aids`` -> ("exit", 8); None when the name is not a disability attribute."""
    stage, _, kind = name.partition("_")
    if stage in DISABILITY_STAGES and kind in DISABILITY_TYPES:
        return stage, DISABILITY_TYPES[kind]
    return None


def last_wednesday(year: int, month: int) -> date:
    """The last Wednesday of a month (HUD's point-in-time night for Q7b/Q8b)."""
    following = date(year + month // 12, month % 12 + 1, 1)
    last = following - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - 2) % 7)


def pit_date(month: int, start: date, end: date) -> date | None:
    """The latest last-Wednesday of ``month`` inside [start, end], or None when the range has none."""
    for year in range(end.year, start.year - 1, -1):
        night = last_wednesday(year, month)
        if start <= night <= end:
            return night
    return None


# --- a ---
# APR Q19a1/Q19a2 (income change): the earned and other amounts each stage counts, as HUD's Data
# Lab code derives them from the total (reports.md §1): earned is EarnedAmount only when Earned = 1
# and it is positive; other is what the total has beyond it. Null when the total is unknown.
#: Money-valued derivations of this block (kept as decimals, not whole numbers).
MONEY_NAMES: set[str] = set()
for _stage in INCOME_STAGES:
    _label = {"start": "at project start", "annual": "at the annual assessment", "exit": "at exit"}[_stage]
    _earned = f"if({_stage}_earned = 1 and coalesce({_stage}_earned_income, 0) > 0, {_stage}_earned_income, 0)"
    _total = f"{_stage}_income_total"
    _needs = (f"{_stage}_earned", f"{_stage}_earned_income", _total)
    DERIVED[f"{_stage}_earned_for_change"] = Derived(
        "number", f"APR Q19a: earned income {_label} as the change tables count it (EarnedAmount when Earned = 1 "
                  "and both it and the total are positive, else 0; none when the total is unknown).",
        f"if({_total} is null, null, if({_total} > 0 and {_earned} > 0, {_earned}, 0))", _needs)
    DERIVED[f"{_stage}_other_for_change"] = Derived(
        "number", f"APR Q19a: other (non-employment) income {_label}: the total beyond the earned amount when "
                  "the total is positive, else 0; none when the total is unknown.",
        f"if({_total} is null, null, if({_total} > 0 and {_earned} < {_total}, {_total} - {_earned}, 0))", _needs)
    MONEY_NAMES.update({f"{_stage}_earned_for_change", f"{_stage}_other_for_change"})

#: C2 Moving On Assistance types (code list C2.2; Services RecordType 300, APR Q24b), with the name
#: reports use for each.
MOVING_ON_ASSISTANCE = {1: "moving_on_housing_application", 2: "moving_on_financial", 3: "moving_on_non_financial",
                        4: "moving_on_referral", 5: "moving_on_other"}
for _code, _name in MOVING_ON_ASSISTANCE.items():
    DERIVED[_name] = Derived("yes/no", "APR Q24b: the stay has a Moving On Assistance service (C2) of type "
                                       f"'{codelists.get('C2.2').codes[_code]}' dated in the report range.")

DERIVED["household_veteran_status"] = Derived(
    "text", "APR Q25b: the household's veteran status from the adults in the universe (their latest stays): "
            "'chronic_veteran' when any is a chronically homeless veteran, else 'veteran' when any is a veteran, "
            "else 'not_veteran' when any says no, else 'dk_pnta' when any doesn't know or prefers not to answer, "
            "else 'missing'.", needs=("chronic_status", "is_adult"))

# --- H4 ---
# Data quality (APR/CAPER Q6b, Q6f; DQ report Q3, Q7).
DERIVED["overlapping_stay"] = Derived(
    "yes/no", "Another stay of the same client in the same project started on an earlier day and exited after "
              "this stay's start (APR Q6b project start date data issue; an earlier stay with no exit is none, "
              "as in HUD's answer key).")
DERIVED["project_start_issue"] = Derived(
    "yes/no", "APR/CAPER Q6b and DQ report Q3, 3.10 data issue (HUD's answer key): an overlapping earlier stay "
              "(overlapping_stay), or an exit before the start.",
    "overlapping_stay or (exit_date is not null and entry_date > exit_date)")
DERIVED["last_contact_date"] = Derived(
    "date", "The stay's latest current living situation (4.12) dated from its start to its exit and report end "
            "(APR Q6f contacts).")
DERIVED["inactive_by_contact"] = Derived(
    "yes/no", "APR/CAPER Q6f and DQ report Q7 (HUD's answer key): no current living situation (4.12) dated in "
              "the last 90 days before report end (the start date is no contact).",
    "last_contact_date is null or days_between(last_contact_date, report.end) > 90")
for _month in PIT_MONTHS:
    DERIVED[f"pit_{_month}_hoh"] = Derived(
        "yes/no", f"Head of household on a stay present on the last Wednesday of {_month.title()} (APR Q8b; "
                  "ES night-by-night: any member's bed night that night).")
DERIVED["long_term_stayer"] = Derived(
    "yes/no", "APR Q5a row 17: an adult or HoH stayer whose household's head is a stayer in the project 365 days "
              "or more (ES night-by-night: 365 bed nights), or an adult stayer there that long themselves.",
    needs=("length_of_stay", "adult_or_hoh", "is_adult"))
DERIVED["path_funded"] = Derived(
    "yes/no", "The stay's project has a PATH grant (2.06 funder 21): APR Q6f counts its SSO contacts.")
DERIVED["pay_for_success"] = Derived(
    "yes/no", "The stay's project is of type 7 (Other) with a Pay for Success grant (2.06 funder 35): HUD "
              "reports it like PSH and RRH wherever a housing move-in counts (APR/CAPER Q7a, Q7b, Q8a, Q8b, "
              "Q22c, Q22e-g; APR Q27k, Q27l).")
DERIVED["last_bed_night"] = Derived(
    "date", "The stay's latest bed night dated from its start, before its exit and by report end (APR Q6f).")
DERIVED["inactive_by_bed_night"] = Derived(
    "yes/no", "APR/CAPER Q6f and DQ report Q7 (HUD's answer key): no bed night dated in the last 90 days before "
              "report end.",
    "last_bed_night is null or days_between(last_bed_night, report.end) > 90")

# Housing move-in and time to housing (APR and CAPER Q7a, Q8a, Q22c, Q22e-g; APR Q27k, Q27l): one
# copy for both reports. Pay for Success projects count with PSH and RRH wherever a move-in counts.
DERIVED["moves_in_like_psh_rrh"] = Derived(
    "yes/no", "PSH and RRH, and a Pay for Success project (pay_for_success), which HUD counts with them wherever "
              "a housing move-in counts: Q7a and Q8a 'moved into housing', Q22c, Q22f and APR Q27k.",
    "project_type in [3, 13] or pay_for_success")
DERIVED["housed_by_move_in"] = Derived(
    "yes/no", "Q22e and Q22g: projects whose housed date is the move-in (PSH, OPH, RRH and Pay for Success).",
    "project_type in [3, 9, 13] or pay_for_success")
DERIVED["counts_time_prior_to_housing"] = Derived(
    "yes/no", "Q22e and Q22g (and APR Q27l): ES, TH, SH, PSH, OPH and RRH, and Pay for Success projects.",
    "project_type in [0, 1, 2, 3, 8, 9, 13] or pay_for_success")
DERIVED["housed_in_psh_rrh"] = Derived(
    "yes/no", "Moved into housing in PSH, RRH or a Pay for Success project (Q7a and Q8a).",
    "moved_in and moves_in_like_psh_rrh")
DERIVED["days_to_move_in"] = Derived(
    "number", "Days from project start to the adjusted housing move-in (Q22c, Q22f).",
    "days_between(entry_date, move_in_adjusted)")
DERIVED["housed_on"] = Derived(
    "date", "Q22e: the date housed - the adjusted move-in for PSH, OPH, RRH and Pay for Success, the start "
            "date elsewhere.", "if(housed_by_move_in, move_in_adjusted, entry_date)")
DERIVED["homeless_since"] = Derived(
    "date", "3.917.3; a child who started with the HoH takes the HoH's date. Anyone else's own date counts only "
            "when it is on or before their start (HUD's Data Lab code); otherwise none (Q22e: data not collected).",
    "if(is_child and entry_date = hoh_entry_date, hoh_date_to_street_essh, "
    "if(is_child or date_to_street_essh <= entry_date, date_to_street_essh, null))")
DERIVED["days_prior_to_housing"] = Derived(
    "number", "Q22e and Q22g: days from homeless_since to housed_on.", "days_between(homeless_since, housed_on)")

# --- H9 ---
DERIVED["disabling_condition_issue"] = Derived(
    "yes/no", "APR/CAPER Q6b data issue: disabling condition (3.08) is no while the latest start record of a "
              "disability type (4.05-4.10, dated by report end) is yes for developmental disability or HIV/AIDS, "
              "or yes and indefinite and impairing for another type.")

# CE APR Q10: assessments (by level, 4.19.4) and events (by 4.20.2 code, and by result where the shell has
# a result column) dated in the range, on any of the client's stays in the reported projects.
#: Result columns of Q10: (Event field, value) and the event codes each applies to (HUD's answer key).
CE_REFERRAL_RESULT_EVENTS = (10, 11, 12, 13, 14, 15, 17, 18)
CE_EVENT_OUTCOMES = {
    "successful": ("referral_result", 1, CE_REFERRAL_RESULT_EVENTS),
    "client_rejected": ("referral_result", 2, CE_REFERRAL_RESULT_EVENTS),
    "provider_rejected": ("referral_result", 3, CE_REFERRAL_RESULT_EVENTS),
    "rehoused": ("prob_sol_div_rr_result", 1, (2,)),
    "aftercare": ("referral_case_manage_after", 1, (5,)),
}
#: name -> (record, code, outcome): what each count counts (read by the CE activity pass in universe.py)
CE_ACTIVITY_COUNTS: dict[str, tuple[str, int, str | None]] = {
    "ce_assessments_crisis": ("assessment", 1, None), "ce_assessments_housing": ("assessment", 2, None)}
for _code in range(1, 19):
    CE_ACTIVITY_COUNTS[f"ce_events_{_code}"] = ("event", _code, None)
    for _outcome, (_, _, _codes) in CE_EVENT_OUTCOMES.items():
        if _code in _codes:
            CE_ACTIVITY_COUNTS[f"ce_events_{_code}_{_outcome}"] = ("event", _code, _outcome)
for _name, (_record, _code, _outcome) in CE_ACTIVITY_COUNTS.items():
    DERIVED[_name] = Derived("number", f"CE APR Q10: {_record}s dated in the range on any of the client's stays in "
                                       "the reported projects while a CE access point (2.09), "
                                       f"{'level' if _record == 'assessment' else 'event'} "
                                       f"{_code}" + (f", result {_outcome.replace('_', ' ')}" if _outcome else "")
                                       + ".")
DERIVED["ce_activity_in_range"] = Derived("yes/no", "CE APR Q10: the client has a coordinated entry assessment or "
                                                    "event dated in the range on a stay in the reported projects.")


def _add_expression_needs() -> None:
    """A derivation written as an expression needs the library names it reads: adding them here
    (rather than trusting a hand-written ``needs``) makes :func:`closure` build them first."""
    for derived in DERIVED.values():
        if derived.expression:
            read = references(parse(derived.expression)) & DERIVED.keys()
            derived.needs = tuple(sorted(set(derived.needs) | read))


_add_expression_needs()
ORDER = tuple(DERIVED)
ATTRIBUTES: dict[str, str] = {**BASE, **{name: d.kind for name, d in DERIVED.items()}}
#: What a definition's ``universe.person_stay_rank`` may read: known on every stay in the range before
#: each person's representing stay is picked (the stay's fields, and the CE APR's assessed date, worked out
#: with the household). The other derivations are worked out on the picked stay only.
RANK_NAMES: dict[str, str] = {**BASE, "ce_assessment_date": "date"}
#: Dotted names for the run's parameters, usable in every expression.
PARAMETER_NAMES = {"report.start": "date", "report.end": "date"}
#: Derivations of the library whose expression text is the definition (the rest are SQL in universe.py).
EXPRESSIONS = {name: d.expression for name, d in DERIVED.items() if d.expression}
_SQL_TYPES = {"yes/no": sa.Boolean(), "number": sa.Integer(), "text": sa.String(), "date": sa.Date()}


def names() -> dict[str, Type]:
    """Every name an expression in a report definition may use, with its kind."""
    found = {name: Type.named(kind) for name, kind in ATTRIBUTES.items()}
    found.update({name: Type.named(kind) for name, kind in PARAMETER_NAMES.items()})
    return found


def describe(name: str) -> str:
    derived = DERIVED.get(name)
    return derived.description if derived else "HUD field of the stay, exit or client."


def sql_type(name: str) -> sa.types.TypeEngine:
    if name.endswith("_income_total") or name.endswith("_earned_income") or name in MONEY_NAMES:
        return sa.Numeric(14, 2)
    return _SQL_TYPES[ATTRIBUTES[name]]


def closure(wanted: Iterable[str]) -> set[str]:
    """``wanted`` plus every library attribute they need (unknown names are ignored here)."""
    found: set[str] = set()
    pending = [name for name in wanted if name in DERIVED]
    while pending:
        name = pending.pop()
        if name in found:
            continue
        found.add(name)
        pending.extend(DERIVED[name].needs)
    return found
