"""definitions and their versions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 19:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('definition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('created_dt', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind in ('form', 'workflow', 'report', 'admin')", name=op.f('ck_definition_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_definition')),
    sa.UniqueConstraint('kind', 'key', name=op.f('uq_definition_kind_key'))
    )
    op.create_table('definition_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('source_text', sa.Text(), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_dt', sa.DateTime(), nullable=False),
    sa.Column('published_by', sa.Integer(), nullable=True),
    sa.Column('published_dt', sa.DateTime(), nullable=True),
    sa.Column('retired_dt', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status in ('draft', 'published', 'retired')", name=op.f('ck_definition_version_status')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_definition_version_version')),
    sa.ForeignKeyConstraint(['created_by'], ['account.id'], name=op.f('fk_definition_version_created_by_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['definition_id'], ['definition.id'], name=op.f('fk_definition_version_definition_id_definition'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by'], ['account.id'], name=op.f('fk_definition_version_published_by_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_definition_version')),
    sa.UniqueConstraint('definition_id', 'version', name=op.f('uq_definition_version_definition_id_version'))
    )
    # At most one published version per definition (a partial unique index on both backends).
    op.create_index('ix_definition_version_one_published', 'definition_version', ['definition_id'], unique=True,
                    postgresql_where=sa.text("status = 'published'"), sqlite_where=sa.text("status = 'published'"))


def downgrade() -> None:
    op.drop_index('ix_definition_version_one_published', table_name='definition_version')
    op.drop_table('definition_version')
    op.drop_table('definition')
