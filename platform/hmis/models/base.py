"""What every HUD record table shares."""
from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column


class HudRecord:
    """Mixin for the 24 HMIS CSV record types.

    ``id`` is our own surrogate key (for URLs and our own references);
    ``data_source_id`` names the system a record came from (ours is the local
    source), which scopes every HUD identifier.
    """

    __hud_file__: str

    id: Mapped[int] = mapped_column(primary_key=True)
    data_source_id: Mapped[int] = mapped_column(ForeignKey("data_source.id"))
