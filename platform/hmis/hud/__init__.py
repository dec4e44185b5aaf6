"""HUD's FY2026 HMIS standards held as data: the CSV spec and the code lists.

Everything that needs to know a HUD file, column or code (models, importer,
exporter, forms, validators, reports) reads it from here, never from its own copy.
"""
from .spec import SPEC, HudColumn, HudFile, Spec, snake_name

__all__ = ["SPEC", "HudColumn", "HudFile", "Spec", "snake_name"]
