"""workflow instances, step history, due items, notifications, scheduled runs (issue 4)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 21:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workflow_instance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workflow_key", sa.String(length=100), nullable=False),
        sa.Column("definition_version_id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=20), nullable=False),
        sa.Column("subject_key", sa.String(length=100), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("step", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("started_by", sa.Integer(), nullable=True),
        sa.Column("created_dt", sa.DateTime(), nullable=False),
        sa.Column("updated_dt", sa.DateTime(), nullable=False),
        sa.Column("completed_dt", sa.DateTime(), nullable=True),
        sa.CheckConstraint("status in ('active', 'completed', 'cancelled')", name=op.f("ck_workflow_instance_status")),
        sa.ForeignKeyConstraint(["definition_version_id"], ["definition_version.id"],
                                name=op.f("fk_workflow_instance_definition_version_id_definition_version")),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name=op.f("fk_workflow_instance_project_id_project")),
        sa.ForeignKeyConstraint(["started_by"], ["account.id"], name=op.f("fk_workflow_instance_started_by_account"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_instance")),
    )
    with op.batch_alter_table("workflow_instance") as batch_op:
        batch_op.create_index(batch_op.f("ix_workflow_instance_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_workflow_instance_subject_type_subject_key"),
                              ["subject_type", "subject_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_workflow_instance_workflow_key_status"),
                              ["workflow_key", "status"], unique=False)

    op.create_table(
        "workflow_step_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=100), nullable=False),
        sa.Column("to_step", sa.String(length=100), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("values", sa.JSON(), nullable=True),
        sa.Column("done_dt", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"],
                                name=op.f("fk_workflow_step_record_account_id_account"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["instance_id"], ["workflow_instance.id"],
                                name=op.f("fk_workflow_step_record_instance_id_workflow_instance"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_step_record")),
        sa.UniqueConstraint("instance_id", "revision", name=op.f("uq_workflow_step_record_instance_id_revision")),
    )

    op.create_table(
        "due_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject_type", sa.String(length=20), nullable=False),
        sa.Column("subject_key", sa.String(length=100), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("window_start", sa.Date(), nullable=True),
        sa.Column("window_end", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_dt", sa.DateTime(), nullable=False),
        sa.CheckConstraint("status in ('open', 'done', 'cancelled')", name=op.f("ck_due_item_status")),
        sa.ForeignKeyConstraint(["instance_id"], ["workflow_instance.id"],
                                name=op.f("fk_due_item_instance_id_workflow_instance"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name=op.f("fk_due_item_project_id_project")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_due_item")),
        sa.UniqueConstraint("kind", "subject_type", "subject_key", "due_date",
                            name=op.f("uq_due_item_kind_subject_type_subject_key_due_date")),
    )
    with op.batch_alter_table("due_item") as batch_op:
        batch_op.create_index(batch_op.f("ix_due_item_project_id_status_due_date"),
                              ["project_id", "status", "due_date"], unique=False)

    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("queue", sa.String(length=100), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("created_dt", sa.DateTime(), nullable=False),
        sa.Column("read_dt", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_notification_account_id_account"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["instance_id"], ["workflow_instance.id"],
                                name=op.f("fk_notification_instance_id_workflow_instance"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification") as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_queue"), ["queue"], unique=False)

    op.create_table(
        "scheduled_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task", sa.String(length=60), nullable=False),
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_dt", sa.DateTime(), nullable=False),
        sa.Column("finished_dt", sa.DateTime(), nullable=True),
        sa.CheckConstraint("status in ('running', 'finished', 'failed')", name=op.f("ck_scheduled_run_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_run")),
        sa.UniqueConstraint("task", "run_date", name=op.f("uq_scheduled_run_task_run_date")),
    )


def downgrade() -> None:
    op.drop_table("scheduled_run")
    with op.batch_alter_table("notification") as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_queue"))
        batch_op.drop_index(batch_op.f("ix_notification_account_id"))
    op.drop_table("notification")
    with op.batch_alter_table("due_item") as batch_op:
        batch_op.drop_index(batch_op.f("ix_due_item_project_id_status_due_date"))
    op.drop_table("due_item")
    op.drop_table("workflow_step_record")
    with op.batch_alter_table("workflow_instance") as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflow_instance_workflow_key_status"))
        batch_op.drop_index(batch_op.f("ix_workflow_instance_subject_type_subject_key"))
        batch_op.drop_index(batch_op.f("ix_workflow_instance_project_id"))
    op.drop_table("workflow_instance")
