"""Tables of the reports room (see its migration)."""
from __future__ import annotations

from ..extensions import db  # noqa: F401
