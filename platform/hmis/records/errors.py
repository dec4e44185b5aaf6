"""What the records service raises when it refuses a write.

Every message is safe to show to the person who typed the data; ``errors`` maps a
field (the HUD attribute, or ``member-<n>.<attribute>`` for one household member) to
what is wrong with it, so a screen can show each message beside its item.
"""
from __future__ import annotations

from collections.abc import Mapping


class RecordInvalid(ValueError):
    """The data cannot be saved as given; nothing was written."""

    def __init__(self, errors: Mapping[str, str] | str):
        if isinstance(errors, str):
            errors = {"": errors}
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" if k else v for k, v in self.errors.items()))


class StaleRecord(RecordInvalid):
    """Someone else saved the record after this person opened it; nothing was written."""

    def __init__(self, message: str):
        super().__init__({"": message})
