"""SSN encrypted at rest (issue 6): client_ssn, and client.ssn reduced to its masked form

Existing SSNs are encrypted with the running installation's key (HMIS_ENCRYPTION_KEY,
or the one derived from SECRET_KEY), in batches; merges that remember an SSN to undo
keep it masked and encrypted too.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 23:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BATCH = 5000

client = sa.table("client", sa.column("id", sa.Integer), sa.column("ssn", sa.String))
client_ssn = sa.table(
    "client_ssn", sa.column("client_id", sa.Integer), sa.column("ssn_encrypted", sa.Text),
    sa.column("ssn_hash", sa.String), sa.column("key_id", sa.String), sa.column("masked", sa.String),
    sa.column("ssn_valid", sa.Boolean), sa.column("updated_dt", sa.DateTime))
client_merge = sa.table("client_merge", sa.column("id", sa.Integer), sa.column("before_state", sa.JSON))


def upgrade() -> None:
    op.create_table(
        "client_ssn",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("ssn_encrypted", sa.Text(), nullable=False),
        sa.Column("ssn_hash", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("masked", sa.String(length=9), nullable=False),
        sa.Column("ssn_valid", sa.Boolean(), nullable=False),
        sa.Column("updated_dt", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_client_ssn_client_id_client"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_client_ssn")),
    )
    op.create_index(op.f("ix_client_ssn_ssn_hash"), "client_ssn", ["ssn_hash"])
    op.create_index(op.f("ix_client_ssn_key_id"), "client_ssn", ["key_id"])
    _encrypt_existing()


def _encrypt_existing() -> None:
    # The product's cipher functions (not its models): the data must be encrypted exactly
    # as the running code will read it.
    from hmis.access import crypto, sensitive
    from hmis.models.core import utcnow

    connection = op.get_bind()
    rows = connection.execute(sa.select(client.c.id, client.c.ssn).where(client.c.ssn.is_not(None))
                              .order_by(client.c.id)).all()
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        now = utcnow()
        sealed = [(client_id, sensitive.seal(text)) for client_id, text in batch]
        connection.execute(client_ssn.insert(), [
            {"client_id": i, "ssn_encrypted": s.encrypted, "ssn_hash": s.lookup_hash, "key_id": s.key_id,
             "masked": s.masked, "ssn_valid": s.valid, "updated_dt": now} for i, s in sealed])
        connection.execute(client.update().where(client.c.id == sa.bindparam("b_id")).values(ssn=sa.bindparam("b_ssn")),
                           [{"b_id": i, "b_ssn": s.masked} for i, s in sealed])

    # A merge's undo data: the merged client's row (its SSN masked, like the row itself now)
    # and the survivor's replaced SSN (masked, with the number encrypted for the undo).
    for merge_id, state in connection.execute(sa.select(client_merge.c.id, client_merge.c.before_state)).all():
        state = dict(state or {})
        changed = False
        merged = state.get("merged_client") or {}
        if merged.get("ssn") and not sensitive.is_masked(merged["ssn"]):
            merged["ssn"] = sensitive.mask(merged["ssn"])
            changed = True
        saved = (state.get("survivor_fields") or {}).get("ssn")
        if saved and "old_encrypted" not in saved:
            old, new = saved.get("old"), saved.get("new")
            saved["old_encrypted"] = crypto.encrypt(old) if old else None
            saved["old"] = sensitive.mask(old) if old else None
            saved["new"] = sensitive.mask(new) if new else None
            changed = True
        if changed:
            connection.execute(client_merge.update().where(client_merge.c.id == merge_id).values(before_state=state))


def downgrade() -> None:
    from hmis.access import crypto

    connection = op.get_bind()
    rows = connection.execute(sa.select(client_ssn.c.client_id, client_ssn.c.ssn_encrypted)).all()
    for start in range(0, len(rows), BATCH):
        connection.execute(client.update().where(client.c.id == sa.bindparam("b_id")).values(ssn=sa.bindparam("b_ssn")),
                           [{"b_id": i, "b_ssn": crypto.decrypt(token)} for i, token in rows[start:start + BATCH]])
    for merge_id, state in connection.execute(sa.select(client_merge.c.id, client_merge.c.before_state)).all():
        saved = ((state or {}).get("survivor_fields") or {}).get("ssn")
        if saved and "old_encrypted" in saved:
            token = saved.pop("old_encrypted")
            saved["old"] = crypto.decrypt(token) if token else None
            connection.execute(client_merge.update().where(client_merge.c.id == merge_id).values(before_state=state))
    op.drop_index(op.f("ix_client_ssn_key_id"), table_name="client_ssn")
    op.drop_index(op.f("ix_client_ssn_ssn_hash"), table_name="client_ssn")
    op.drop_table("client_ssn")
