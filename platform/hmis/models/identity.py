"""Tables of the identity room (see its migration)."""
from __future__ import annotations

from ..extensions import db  # noqa: F401
