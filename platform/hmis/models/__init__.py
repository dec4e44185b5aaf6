"""All tables. Import from here: ``from hmis.models import Client, Enrollment``."""
from .core import (
    Account,
    CustomDataElementDefinition,
    CustomDataElementValue,
    DataSource,
    ImportIssue,
    ImportRun,
    Job,
)
from .audit import AuditEvent
from .definitions import Definition, DefinitionVersion
from .hud import *  # noqa: F403 - the 24 generated HUD record types
from .hud import MODELS as HUD_MODELS
from . import privacy, identity, forms, workflows, reports, records  # noqa: F401 - register their tables

__all__ = [
    "Account", "CustomDataElementDefinition", "CustomDataElementValue", "DataSource",
    "ImportIssue", "ImportRun", "Job", "HUD_MODELS", "Definition", "DefinitionVersion", "AuditEvent",
] + [m.__name__ for m in HUD_MODELS.values()]
