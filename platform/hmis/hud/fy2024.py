"""FY2024 HMIS CSV, read as FY2026 (standards §1: what changed between them).

FY2024 has the same 24 files. Its differences are header-level: one column was
renamed, some were retired, and two were added. Reading an FY2024 export is therefore
a header mapping; the retired columns are reported, not silently dropped.
"""
from __future__ import annotations

#: (file, FY2024 column) -> FY2026 column
RENAMED = {
    ("Client", "hispaniclatinaeo"): "HispanicLatinao",
}

#: Columns FY2026 retired: 3.06 Gender, R3 Sexual Orientation, C4 Translation Assistance.
RETIRED = {
    "Client": ("Woman", "Man", "NonBinary", "CulturallySpecific", "Transgender", "Questioning",
               "DifferentIdentity", "GenderNone", "DifferentIdentityText"),
    "Enrollment": ("SexualOrientation", "SexualOrientationOther", "TranslationNeeded",
                   "PreferredLanguage", "PreferredLanguageDifferent"),
}

#: What the retired columns hold, so their values can be kept as custom data elements
#: (an FY2024 system had this data; dropping it on import would lose it).
RETIRED_TYPES = {
    "DifferentIdentityText": "string",
    "SexualOrientationOther": "string",
    "PreferredLanguageDifferent": "string",
}  # every other retired column holds an integer code


def retired_element(file: str, column: str) -> tuple[str, str, str, str]:
    """(custom element key, label, owner type, value type) for a retired FY2024 column."""
    from .spec import snake_name

    owner = "client" if file == "Client" else "enrollment"
    return (f"fy2024_{snake_name(column)}", f"{column} (FY2024 {file}.csv, retired in FY2026)", owner,
            RETIRED_TYPES.get(column, "integer"))


#: Columns new in FY2026, absent from an FY2024 export (imported as empty).
ADDED = {
    "Client": ("Sex",),
    "Enrollment": ("MentalHealthConsultation",),
}


def version_of(csv_version: str | None) -> str | None:
    """'2026' or '2024' from Export.CSVVersion, as other HMIS importers read it."""
    text = (csv_version or "").strip()
    for version in ("2026", "2024"):
        if version in text:
            return version
    return None
