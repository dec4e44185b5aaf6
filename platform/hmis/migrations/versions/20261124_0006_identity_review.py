"""duplicate review queue, merges and links (issue 7)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 21:00:00
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
