"""roles, organizations of accounts, consent and sharing (issue 6)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 21:00:00

Accounts' organizations, clients' originating organization, consents (releases of
information) and the organizations they name, client restrictions, sign-in rate-limit
counters, TOTP secrets and one-time invitation/reset tokens.
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("rate_limit_hit",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("key", sa.String(length=400), nullable=False),
    sa.Column("window_start_dt", sa.DateTime(), nullable=False),
    sa.Column("count", sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_limit_hit")),
    sa.UniqueConstraint("key", "window_start_dt", name=op.f("uq_rate_limit_hit_key_window_start_dt"))
    )
    with op.batch_alter_table("rate_limit_hit") as batch_op:
        batch_op.create_index(batch_op.f("ix_rate_limit_hit_window_start_dt"), ["window_start_dt"], unique=False)

    op.create_table("account_token",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("account_id", sa.Integer(), nullable=False),
    sa.Column("purpose", sa.String(length=20), nullable=False),
    sa.Column("token_hash", sa.String(length=64), nullable=False),
    sa.Column("expires_dt", sa.DateTime(), nullable=False),
    sa.Column("used_dt", sa.DateTime(), nullable=True),
    sa.Column("created_by_id", sa.Integer(), nullable=True),
    sa.Column("created_dt", sa.DateTime(), nullable=False),
    sa.CheckConstraint("purpose in ('invite', 'reset')", name=op.f("ck_account_token_purpose")),
    sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_account_token_account_id_account"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["created_by_id"], ["account.id"], name=op.f("fk_account_token_created_by_id_account")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_account_token")),
    sa.UniqueConstraint("token_hash", name=op.f("uq_account_token_token_hash"))
    )
    with op.batch_alter_table("account_token") as batch_op:
        batch_op.create_index(batch_op.f("ix_account_token_account_id"), ["account_id"], unique=False)

    op.create_table("two_factor",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("account_id", sa.Integer(), nullable=False),
    sa.Column("secret_encrypted", sa.String(length=400), nullable=False),
    sa.Column("confirmed_dt", sa.DateTime(), nullable=True),
    sa.Column("last_counter", sa.Integer(), nullable=True),
    sa.Column("created_dt", sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_two_factor_account_id_account"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_two_factor")),
    sa.UniqueConstraint("account_id", name=op.f("uq_two_factor_account_id"))
    )
    op.create_table("account_organization",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("account_id", sa.Integer(), nullable=False),
    sa.Column("organization_id", sa.Integer(), nullable=False),
    sa.Column("created_dt", sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_account_organization_account_id_account"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], name=op.f("fk_account_organization_organization_id_organization"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_account_organization")),
    sa.UniqueConstraint("account_id", "organization_id", name=op.f("uq_account_organization_account_id_organization_id"))
    )
    with op.batch_alter_table("account_organization") as batch_op:
        batch_op.create_index(batch_op.f("ix_account_organization_organization_id"), ["organization_id"], unique=False)

    op.create_table("client_origin",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("client_id", sa.Integer(), nullable=False),
    sa.Column("organization_id", sa.Integer(), nullable=False),
    sa.Column("account_id", sa.Integer(), nullable=True),
    sa.Column("created_dt", sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_client_origin_account_id_account")),
    sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_client_origin_client_id_client"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], name=op.f("fk_client_origin_organization_id_organization")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_client_origin")),
    sa.UniqueConstraint("client_id", name=op.f("uq_client_origin_client_id"))
    )
    with op.batch_alter_table("client_origin") as batch_op:
        batch_op.create_index(batch_op.f("ix_client_origin_organization_id"), ["organization_id"], unique=False)

    op.create_table("client_restriction",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("client_id", sa.Integer(), nullable=False),
    sa.Column("reason", sa.String(length=40), nullable=False),
    sa.Column("account_id", sa.Integer(), nullable=True),
    sa.Column("created_dt", sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_client_restriction_account_id_account")),
    sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_client_restriction_client_id_client"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_client_restriction")),
    sa.UniqueConstraint("client_id", name=op.f("uq_client_restriction_client_id"))
    )
    op.create_table("consent",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("client_id", sa.Integer(), nullable=False),
    sa.Column("status", sa.String(length=20), nullable=False),
    sa.Column("all_organizations", sa.Boolean(), nullable=False),
    sa.Column("start_date", sa.Date(), nullable=False),
    sa.Column("end_date", sa.Date(), nullable=True),
    sa.Column("documentation", sa.String(length=40), nullable=False),
    sa.Column("notes", sa.Text(), nullable=True),
    sa.Column("recorded_by_id", sa.Integer(), nullable=True),
    sa.Column("recorded_for_id", sa.Integer(), nullable=True),
    sa.Column("recorded_dt", sa.DateTime(), nullable=False),
    sa.Column("revoked_dt", sa.DateTime(), nullable=True),
    sa.Column("revoked_by_id", sa.Integer(), nullable=True),
    sa.Column("revoked_reason", sa.Text(), nullable=True),
    sa.CheckConstraint("status in ('granted', 'refused')", name=op.f("ck_consent_status")),
    sa.CheckConstraint("end_date is null or end_date >= start_date", name=op.f("ck_consent_dates")),
    sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_consent_client_id_client"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["recorded_by_id"], ["account.id"], name=op.f("fk_consent_recorded_by_id_account")),
    sa.ForeignKeyConstraint(["recorded_for_id"], ["organization.id"], name=op.f("fk_consent_recorded_for_id_organization")),
    sa.ForeignKeyConstraint(["revoked_by_id"], ["account.id"], name=op.f("fk_consent_revoked_by_id_account")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_consent"))
    )
    with op.batch_alter_table("consent") as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_client_id"), ["client_id"], unique=False)

    op.create_table("consent_organization",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("consent_id", sa.Integer(), nullable=False),
    sa.Column("organization_id", sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(["consent_id"], ["consent.id"], name=op.f("fk_consent_organization_consent_id_consent"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], name=op.f("fk_consent_organization_organization_id_organization")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_organization")),
    sa.UniqueConstraint("consent_id", "organization_id", name=op.f("uq_consent_organization_consent_id_organization_id"))
    )
    with op.batch_alter_table("consent_organization") as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_organization_organization_id"), ["organization_id"], unique=False)



def downgrade() -> None:
    with op.batch_alter_table("consent_organization") as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_organization_organization_id"))

    op.drop_table("consent_organization")
    with op.batch_alter_table("consent") as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_client_id"))

    op.drop_table("consent")
    op.drop_table("client_restriction")
    with op.batch_alter_table("client_origin") as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_origin_organization_id"))

    op.drop_table("client_origin")
    with op.batch_alter_table("account_organization") as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_organization_organization_id"))

    op.drop_table("account_organization")
    op.drop_table("two_factor")
    with op.batch_alter_table("account_token") as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_token_account_id"))

    op.drop_table("account_token")
    with op.batch_alter_table("rate_limit_hit") as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_limit_hit_window_start_dt"))

    op.drop_table("rate_limit_hit")
