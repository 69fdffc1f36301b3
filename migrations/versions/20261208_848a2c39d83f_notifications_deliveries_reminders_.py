"""Notifications, deliveries, reminders, backup officers and absences

Revision ID: 848a2c39d83f
Revises: b7e41c9d2a63
Create Date: 2026-12-08 07:27:35.594074+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import liaison.db

revision: str = "848a2c39d83f"
down_revision: str | None = "b7e41c9d2a63"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("record", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("threshold", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("created_at", liaison.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder")),
        sa.UniqueConstraint("kind", "record", "threshold", name="uq_reminder_once"),
    )
    op.create_table(
        "duty_robot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("secret", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.CheckConstraint(
            "channel IN ('wecom', 'dingtalk')", name=op.f("ck_duty_robot_channel_robot")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["station.id"], name=op.f("fk_duty_robot_station_id_station")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_robot")),
        sa.UniqueConstraint("station_id", name=op.f("uq_duty_robot_station_id")),
    )
    op.create_table(
        "absence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", liaison.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_absence_dates_ordered")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_absence_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officer.id"], name=op.f("fk_absence_officer_id_officer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_absence")),
    )
    with op.batch_alter_table("absence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_absence_officer_id"), ["officer_id"], unique=False)

    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", liaison.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", liaison.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_notification_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notification_user_created", ["user_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_notification_user_unread", ["user_id", "read_at"], unique=False)

    op.create_table(
        "notify_settings",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("quiet", sa.Boolean(), nullable=False),
        sa.Column("quiet_from", sa.Time(), nullable=False),
        sa.Column("quiet_until", sa.Time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_notify_settings_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notify_settings")),
    )
    op.create_table(
        "preference",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("channels", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_preference_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("user_id", "kind", name=op.f("pk_preference")),
    )
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", liaison.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", liaison.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("sent_at", liaison.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", liaison.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "channel IN ('email', 'sms', 'wecom', 'dingtalk')",
            name=op.f("ck_delivery_channel_known"),
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'sent', 'failed')", name=op.f("ck_delivery_state_known")
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notification.id"],
            name=op.f("fk_delivery_notification_id_notification"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index("ix_delivery_due", ["state", "next_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_delivery_notification_id"), ["notification_id"], unique=False
        )

    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.add_column(sa.Column("backup_officer_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_project_backup_officer_id_officer"),
            "officer",
            ["backup_officer_id"],
            ["id"],
        )

    with op.batch_alter_table("service_request", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sms_consent", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("service_request", schema=None) as batch_op:
        batch_op.drop_column("sms_consent")

    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_project_backup_officer_id_officer"), type_="foreignkey"
        )
        batch_op.drop_column("backup_officer_id")

    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_notification_id"))
        batch_op.drop_index("ix_delivery_due")

    op.drop_table("delivery")
    op.drop_table("preference")
    op.drop_table("notify_settings")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_user_unread")
        batch_op.drop_index("ix_notification_user_created")

    op.drop_table("notification")
    with op.batch_alter_table("absence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_absence_officer_id"))

    op.drop_table("absence")
    op.drop_table("duty_robot")
    op.drop_table("reminder")
