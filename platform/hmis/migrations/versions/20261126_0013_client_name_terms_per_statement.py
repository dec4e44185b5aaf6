"""client_name_term: one set-based insert per statement that adds clients, not one per row

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25 06:50:00

The row trigger of 0010 ran a PL/pgSQL call and an INSERT ... ON CONFLICT for every
client row an import adds. An AFTER INSERT trigger FOR EACH STATEMENT sees all the
added rows at once (a transition table) and adds their distinct names in one
statement. Updates keep the row trigger: PostgreSQL allows no transition table on a
trigger limited to some columns (UPDATE OF first_name, last_name), and without that
limit every other change to a client (its SSN, its DateUpdated) would pay for it.
PostgreSQL only: SQLite keeps no term table up to date (see hmis.records.search).
"""
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ADDED_TERMS_FUNCTION = """
CREATE OR REPLACE FUNCTION client_name_terms_added() RETURNS trigger AS $$
BEGIN
    INSERT INTO client_name_term (term)
    SELECT DISTINCT name FROM added_clients, LATERAL (VALUES (first_name), (last_name)) AS names (name)
    WHERE name IS NOT NULL AND name <> ''
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""
ADDED_TERMS_TRIGGER = """
CREATE TRIGGER client_name_terms_added AFTER INSERT ON client
REFERENCING NEW TABLE AS added_clients FOR EACH STATEMENT EXECUTE FUNCTION client_name_terms_added()
"""
# As in 0010, for the row trigger's own part (updates) and for the downgrade.
ROW_TRIGGER = """
CREATE TRIGGER client_name_terms AFTER {events} ON client
FOR EACH ROW EXECUTE FUNCTION client_name_terms()
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(ADDED_TERMS_FUNCTION)
    op.execute(ADDED_TERMS_TRIGGER)
    op.execute("DROP TRIGGER client_name_terms ON client")
    op.execute(ROW_TRIGGER.format(events="UPDATE OF first_name, last_name"))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER client_name_terms ON client")
    op.execute(ROW_TRIGGER.format(events="INSERT OR UPDATE OF first_name, last_name"))
    op.execute("DROP TRIGGER client_name_terms_added ON client")
    op.execute("DROP FUNCTION client_name_terms_added()")
