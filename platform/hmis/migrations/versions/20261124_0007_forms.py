"""form responses and drafts (issue 3)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 21:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "form_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("form_key", sa.String(length=100), nullable=False),
        sa.Column("definition_version_id", sa.Integer(), nullable=False),
        sa.Column("fragment_versions", sa.JSON(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("enrollment_id", sa.Integer(), nullable=True),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("information_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("written", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_dt", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_by_name", sa.String(length=200), nullable=True),
        sa.Column("updated_dt", sa.DateTime(), nullable=False),
        sa.Column("submitted_dt", sa.DateTime(), nullable=True),
        sa.CheckConstraint("status in ('draft', 'submitted')", name=op.f("ck_form_response_status")),
        sa.CheckConstraint("revision >= 1", name=op.f("ck_form_response_revision")),
        sa.ForeignKeyConstraint(["definition_version_id"], ["definition_version.id"],
                                name=op.f("fk_form_response_definition_version_id_definition_version"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_form_response_client_id_client"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["enrollment_id"], ["enrollment.id"],
                                name=op.f("fk_form_response_enrollment_id_enrollment"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["account.id"], name=op.f("fk_form_response_created_by_account"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["updated_by"], ["account.id"], name=op.f("fk_form_response_updated_by_account"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_response")),
    )
    op.create_index(op.f("ix_form_response_enrollment_id_stage"), "form_response", ["enrollment_id", "stage"])
    op.create_index(op.f("ix_form_response_client_id"), "form_response", ["client_id"])
    once = sa.text("stage in ('project_start', 'exit', 'post_exit') and enrollment_id is not null")
    op.create_index("ix_form_response_once_per_enrollment", "form_response", ["enrollment_id", "form_key", "stage"],
                    unique=True, postgresql_where=once, sqlite_where=once)


def downgrade() -> None:
    op.drop_index("ix_form_response_once_per_enrollment", table_name="form_response")
    op.drop_index(op.f("ix_form_response_client_id"), table_name="form_response")
    op.drop_index(op.f("ix_form_response_enrollment_id_stage"), table_name="form_response")
    op.drop_table("form_response")
