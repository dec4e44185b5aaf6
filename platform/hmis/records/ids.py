"""Where records entered in this HMIS live, and their HUD identifiers.

HUD keys (PersonalID, EnrollmentID, ...) are text of at most 32 characters, unique
within a data source. Records typed into the app belong to the data source ``local``;
their keys are random hex UUIDs, so two web processes never hand out the same key
and no counter row becomes a point of contention.
"""
from __future__ import annotations

import uuid

from sqlalchemy import select

from ..extensions import db
from ..models.core import DataSource

LOCAL_KEY = "local"
LOCAL_NAME = "This HMIS"


def local_source() -> DataSource:
    """The ``local`` data source, created (flushed) on first use."""
    source = db.session.scalar(select(DataSource).where(DataSource.key == LOCAL_KEY))
    if source is None:
        source = DataSource(key=LOCAL_KEY, name=LOCAL_NAME)
        db.session.add(source)
        db.session.flush()
    return source


def new_key() -> str:
    """A fresh HUD key: 32 hex characters, the longest HUD allows."""
    return uuid.uuid4().hex
