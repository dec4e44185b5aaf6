"""records service bookkeeping (issue 3): submitted-form tokens and client search support

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 21:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Keeps client_name_term holding every first and last name in client, whoever writes
# the client row (the app, the importer, a COPY); ON CONFLICT makes concurrent writers safe.
TERM_TRIGGER_FUNCTION = """
CREATE OR REPLACE FUNCTION client_name_terms() RETURNS trigger AS $$
BEGIN
    INSERT INTO client_name_term (term)
    SELECT name FROM (VALUES (NEW.first_name), (NEW.last_name)) AS names (name)
    WHERE name IS NOT NULL AND name <> ''
    ON CONFLICT DO NOTHING;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""
TERM_TRIGGER = """
CREATE TRIGGER client_name_terms AFTER INSERT OR UPDATE OF first_name, last_name ON client
FOR EACH ROW EXECUTE FUNCTION client_name_terms()
"""


def upgrade() -> None:
    op.create_table(
        "submitted_form",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("result_url", sa.String(length=500), nullable=False),
        sa.Column("created_dt", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_submitted_form_account_id_account"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submitted_form")),
        sa.UniqueConstraint("token", name=op.f("uq_submitted_form_token")),
    )
    op.create_table(
        "client_name_term",
        sa.Column("term", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_client_name_term")),
    )
    op.create_index("ix_client_first_name_search", "client", ["first_name"])
    if op.get_bind().dialect.name == "postgresql":
        # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        # fastupdate off: see hmis.models.records.ClientNameTerm.
        op.create_index("ix_client_name_term_trgm", "client_name_term", ["term"], postgresql_using="gin",
                        postgresql_ops={"term": "gin_trgm_ops"}, postgresql_with={"fastupdate": "off"})
        op.create_index("ix_client_ssn_trgm", "client", ["ssn"], postgresql_using="gin",
                        postgresql_ops={"ssn": "gin_trgm_ops"})
        op.execute("INSERT INTO client_name_term (term) SELECT name FROM client, "
                   "LATERAL (VALUES (first_name), (last_name)) AS names (name) "
                   "WHERE name IS NOT NULL AND name <> '' ON CONFLICT DO NOTHING")
        op.execute(TERM_TRIGGER_FUNCTION)
        op.execute(TERM_TRIGGER)
    else:
        # SQLite searches without the term table (see hmis.records.search); plain indexes
        # keep the schema equal to the models.
        op.create_index("ix_client_name_term_trgm", "client_name_term", ["term"])
        op.create_index("ix_client_ssn_trgm", "client", ["ssn"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS client_name_terms ON client")
        op.execute("DROP FUNCTION IF EXISTS client_name_terms()")
    op.drop_index("ix_client_ssn_trgm", table_name="client")
    op.drop_index("ix_client_first_name_search", table_name="client")
    op.drop_index("ix_client_name_term_trgm", table_name="client_name_term")
    op.drop_table("client_name_term")
    op.drop_table("submitted_form")
