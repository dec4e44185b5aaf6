"""A small form touching every mapping the engine has, shared by the tests."""

INCOME_FRAGMENT = """
id: fragment-test-income
kind: form
title: Income (test fragment)
fragment: true
items:
  - id: income_any
    type: choice
    label: {en: Income from any source, es: Ingresos de cualquier fuente}
    hud: IncomeBenefits.IncomeFromAnySource
    required: true
  - id: incomes
    type: group
    label: Sources
    relevant: income_any = 1
    items:
      - id: earned
        type: boolean
        label: Earned income
        hud: IncomeBenefits.Earned
      - id: earned_amount
        type: currency
        label: Earned income amount
        hud: IncomeBenefits.EarnedAmount
        relevant: earned
        required: true
        constraint: earned_amount < 100000
        constraint_message: That is more than this project's limit; check the amount.
"""

FORM = """
id: test-intake
kind: form
title: Test intake
title_i18n: {es: Ingreso de prueba}
languages: [en, es]
code_lists:
  pets:
    - {value: dog, label: {en: Dog, es: Perro}}
    - {value: cat, label: Cat}
items:
  - id: entry_date
    type: date
    label: Project start date
    hud: Enrollment.EntryDate
    required: true
  - id: living_situation
    type: choice
    label: Prior living situation
    hud: Enrollment.LivingSituation
    about: hoh_and_adults
    warn_if_empty: true
  - include: fragment-test-income
    about: hoh_and_adults
  - id: physical
    type: choice
    label: Physical disability
    hud: Disabilities.DisabilityResponse
    hud_key: {DisabilityType: 5}
  - id: household_size
    type: integer
    label: People in the household
    custom: test_household_size
    min: 0
  - id: per_person
    type: decimal
    label: Income per person
    calculate: earned_amount / household_size
  - id: pet
    type: choice
    label: Pet
    choices: local:pets
    custom: test_pet
  - id: notes
    type: textarea
    label: Notes
    custom: test_notes
  - id: veteran_note
    type: text
    label: Branch notes
    about: veterans
    stages: [project_start]
"""

GOOD_ANSWERS = {
    "entry_date": "2026-10-01", "living_situation": "116", "income_any": "1", "earned": "1",
    "earned_amount": "1200.50", "physical": "1", "household_size": "2", "pet": "dog", "notes": "Ok",
}
