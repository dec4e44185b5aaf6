"""duplicate review queue, merges and links (issue 7)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 21:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

PAIR_TABLES = ("duplicate_candidate", "not_duplicate", "client_link")


def _pair_columns() -> list:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_a_id", sa.Integer(), nullable=False),
        sa.Column("client_b_id", sa.Integer(), nullable=False),
    ]


def _pair_constraints(table: str) -> list:
    return [
        sa.ForeignKeyConstraint(["client_a_id"], ["client.id"], name=op.f(f"fk_{table}_client_a_id_client"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["client_b_id"], ["client.id"], name=op.f(f"fk_{table}_client_b_id_client"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("client_a_id", "client_b_id", name=op.f(f"uq_{table}_client_a_id_client_b_id")),
        sa.CheckConstraint("client_a_id < client_b_id", name=op.f(f"ck_{table}_ordered")),
    ]


def upgrade() -> None:
    op.create_table(
        "duplicate_candidate",
        *_pair_columns(),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("job_id", sa.String(length=64), nullable=True),
        sa.Column("found_dt", sa.DateTime(), nullable=False),
        sa.Column("decided_dt", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        *_pair_constraints("duplicate_candidate"),
        sa.ForeignKeyConstraint(["decided_by_id"], ["account.id"],
                                name=op.f("fk_duplicate_candidate_decided_by_id_account")),
        sa.CheckConstraint("status in ('open', 'merged', 'linked', 'not_duplicate')",
                           name=op.f("ck_duplicate_candidate_status")),
    )
    op.create_table(
        "not_duplicate",
        *_pair_columns(),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_dt", sa.DateTime(), nullable=False),
        *_pair_constraints("not_duplicate"),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_not_duplicate_account_id_account")),
    )
    op.create_table(
        "client_link",
        *_pair_columns(),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_dt", sa.DateTime(), nullable=False),
        *_pair_constraints("client_link"),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_client_link_account_id_account")),
    )
    for table in PAIR_TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_client_b_id"), ["client_b_id"], unique=False)
    with op.batch_alter_table("duplicate_candidate") as batch_op:
        batch_op.create_index(batch_op.f("ix_duplicate_candidate_status_score"), ["status", "score"], unique=False)

    op.create_table(
        "client_merge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survivor_id", sa.Integer(), nullable=False),
        sa.Column("merged_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("before_state", sa.JSON(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("created_dt", sa.DateTime(), nullable=False),
        sa.Column("undone_dt", sa.DateTime(), nullable=True),
        sa.Column("undone_by_id", sa.Integer(), nullable=True),
        sa.Column("undo_summary", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["survivor_id"], ["client.id"], name=op.f("fk_client_merge_survivor_id_client")),
        sa.ForeignKeyConstraint(["merged_id"], ["client.id"], name=op.f("fk_client_merge_merged_id_client")),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_client_merge_account_id_account")),
        sa.ForeignKeyConstraint(["undone_by_id"], ["account.id"], name=op.f("fk_client_merge_undone_by_id_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_merge")),
        sa.CheckConstraint("status in ('active', 'undone')", name=op.f("ck_client_merge_status")),
        sa.CheckConstraint("survivor_id <> merged_id", name=op.f("ck_client_merge_distinct")),
    )
    with op.batch_alter_table("client_merge") as batch_op:
        batch_op.create_index(batch_op.f("ix_client_merge_survivor_id"), ["survivor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_client_merge_merged_id"), ["merged_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_client_merge_created_dt"), ["created_dt"], unique=False)

    op.create_table(
        "person_key",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_person_key_client_id_client"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["client.id"], name=op.f("fk_person_key_person_id_client"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_person_key")),
    )
    with op.batch_alter_table("person_key") as batch_op:
        batch_op.create_index(batch_op.f("ix_person_key_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_table("person_key")
    op.drop_table("client_merge")
    for table in reversed(PAIR_TABLES):
        op.drop_table(table)
