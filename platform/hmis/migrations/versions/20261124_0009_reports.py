"""report runs (issue 5)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 21:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_key", sa.String(length=100), nullable=False),
        sa.Column("definition_version_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("results", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("job_id", sa.String(length=64), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("created_dt", sa.DateTime(), nullable=False),
        sa.Column("finished_dt", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_report_run_account_id_account"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["definition_version_id"], ["definition_version.id"],
                                name=op.f("fk_report_run_definition_version_id_definition_version"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_run")),
    )
    with op.batch_alter_table("report_run") as batch_op:
        batch_op.create_index(batch_op.f("ix_report_run_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_run_created_dt"), ["created_dt"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_run_report_key"), ["report_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("report_run") as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_run_report_key"))
        batch_op.drop_index(batch_op.f("ix_report_run_created_dt"))
        batch_op.drop_index(batch_op.f("ix_report_run_account_id"))
    op.drop_table("report_run")
