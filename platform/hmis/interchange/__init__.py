"""HMIS CSV import and export (FY2026; FY2024 accepted on import)."""
