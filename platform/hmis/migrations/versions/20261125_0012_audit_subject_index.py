"""audit_event: an index on the subject, for one client's profile history

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25 03:45:00

A plain CREATE INDEX (not batch mode): on SQLite a batch operation would copy the
table and lose the triggers that keep the log append-only.
"""
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_event_subject", "audit_event", ["subject_type", "subject_id", "occurred_dt"])


def downgrade() -> None:
    op.drop_index("ix_audit_event_subject", table_name="audit_event")
