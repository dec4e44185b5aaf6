"""FY2026 code choices the generator draws from, with rough real-world weights.

Only valid codes for each column appear here (standards.md §3); the weights are
guesses meant to give reports something to count, not published statistics.
"""
from __future__ import annotations

# 3.12 Destination groups, (code, weight). 327/426 (HOPWA moves) are left out on purpose.
PERMANENT = ((410, 30), (435, 32), (422, 15), (423, 8), (411, 3), (421, 2))
TEMPORARY = ((312, 30), (313, 25), (314, 12), (302, 10), (329, 5), (332, 3))
HOMELESS = ((116, 50), (101, 42), (118, 3))
INSTITUTION = ((204, 10), (205, 25), (206, 20), (207, 30), (215, 3), (225, 5))
OTHER = ((30, 50), (99, 25), (8, 8), (9, 5), (17, 8), (24, 4))

#: Exit destination group weights by project type: permanent, temporary, homeless,
#: institutional, other. Tuned so PH/HP exit mostly to housing and NbN/SO mostly unknown.
EXIT_MIX = {
    0: (25, 30, 15, 7, 23), 1: (8, 15, 20, 4, 53), 2: (55, 20, 8, 7, 10), 3: (50, 10, 5, 10, 25),
    4: (10, 10, 30, 5, 45), 6: (35, 20, 15, 5, 25), 7: (30, 20, 15, 5, 30), 8: (30, 20, 20, 10, 20),
    9: (60, 12, 5, 8, 15), 10: (60, 12, 5, 8, 15), 11: (10, 15, 35, 5, 35), 12: (85, 7, 2, 1, 5),
    13: (70, 12, 8, 3, 7), 14: (30, 20, 20, 5, 25),
}
GROUPS = (PERMANENT, TEMPORARY, HOMELESS, INSTITUTION, OTHER)

#: 3.12.A rental subsidy types (all valid for 435).
SUBSIDIES = (419, 420, 428, 431, 433, 434, 436, 437, 438, 439, 440)

#: 3.917 prior living situations valid at project start, grouped.
PRIOR_HOMELESS = ((116, 55), (101, 40), (118, 5))
PRIOR_INSTITUTION = ((204, 10), (205, 25), (206, 25), (207, 30), (215, 5), (225, 5))
PRIOR_TEMPORARY = ((335, 35), (336, 30), (314, 15), (302, 8), (329, 7), (332, 5))
PRIOR_HOUSED = ((410, 55), (435, 25), (411, 5), (421, 3), (335, 7), (336, 5))
PRIOR_MISSING = ((8, 30), (9, 20), (99, 50))

#: 4.12 current living situations seen on outreach/CE contacts.
CLS_CODES = ((116, 60), (101, 18), (118, 3), (314, 5), (335, 4), (336, 3), (206, 2), (207, 1),
             (17, 1), (37, 2), (99, 1))

#: Income sources: (flag column, amount column, share among people with income, min, max).
INCOME_SOURCES = (
    ("Earned", "EarnedAmount", 0.38, 300, 2600),
    ("Unemployment", "UnemploymentAmount", 0.04, 250, 1600),
    ("SSI", "SSIAmount", 0.24, 450, 943),
    ("SSDI", "SSDIAmount", 0.2, 650, 1900),
    ("VADisabilityService", "VADisabilityServiceAmount", 0.0, 170, 3700),
    ("VADisabilityNonService", "VADisabilityNonServiceAmount", 0.0, 300, 1400),
    ("PrivateDisability", "PrivateDisabilityAmount", 0.01, 300, 1500),
    ("WorkersComp", "WorkersCompAmount", 0.01, 300, 1500),
    ("TANF", "TANFAmount", 0.0, 200, 900),
    ("GA", "GAAmount", 0.05, 100, 400),
    ("SocSecRetirement", "SocSecRetirementAmount", 0.0, 700, 1900),
    ("Pension", "PensionAmount", 0.01, 200, 1500),
    ("ChildSupport", "ChildSupportAmount", 0.0, 100, 700),
    ("Alimony", "AlimonyAmount", 0.003, 100, 800),
    ("OtherIncomeSource", "OtherIncomeAmount", 0.03, 50, 600),
)
BENEFITS = ("SNAP", "WIC", "TANFChildCare", "TANFTransportation", "OtherTANF", "OtherBenefitsSource")
INSURANCE = ("Medicaid", "Medicare", "SCHIP", "VHAServices", "EmployerProvided", "COBRA",
             "PrivatePay", "StateHealthIns", "IndianHealthServices", "OtherInsurance")

#: Services.csv TypeProvided codes per RecordType (subset of valid codes).
PATH_SERVICES = (1, 2, 3, 4, 5, 6, 7, 10, 14)
PATH_REFERRALS = tuple(range(1, 12))
RHY_SERVICES = (2, 5, 6, 7, 8, 10, 14, 17, 18, 26, 28, 29)
HOPWA_SERVICES = tuple(range(1, 15))
HOPWA_FA = (1, 2, 3, 4, 7)
SSVF_SERVICES = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
SSVF_FA = (1, 2, 3, 4, 5, 8, 9, 10, 12, 14, 15, 16, 17, 18)
VASH_TRACKING = (1, 3, 5)
#: V2.A/V2.B/V2.C sub-types for SSVF TypeProvided 3/4/5.
SSVF_SUBTYPES = {3: (1, 2, 3, 4), 4: tuple(range(1, 14)), 5: tuple(range(1, 12))}
