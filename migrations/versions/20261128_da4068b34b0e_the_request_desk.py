"""the request desk (接诉即办): requests and their timeline

Revision ID: da4068b34b0e
Revises: 1caa419e1f8d
Create Date: 2026-11-28 22:44:00.607168+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import liaison.db

revision: str = "da4068b34b0e"
down_revision: str | None = "1caa419e1f8d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "service_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tracking_no", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("topic", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("content", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("submitter_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("submitter_phone", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("phone_last4", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column("received_at", liaison.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("first_response_at", liaison.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", liaison.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("satisfaction", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("reopened", sa.Boolean(), nullable=False),
        sa.Column("submission_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "channel IN ('二维码', '网页', '电话', '窗口')",
            name=op.f("ck_service_request_channel_known"),
        ),
        sa.CheckConstraint(
            "satisfaction IS NULL OR satisfaction IN ('满意', '基本满意', '不满意')",
            name=op.f("ck_service_request_satisfaction_known"),
        ),
        sa.CheckConstraint(
            "status IN ('待受理', '已受理', '办理中', '已答复', '已办结', '不予受理')",
            name=op.f("ck_service_request_status_known"),
        ),
        sa.CheckConstraint(
            "topic IN ('治安秩序', '矛盾纠纷', '证件办理', '涉企服务', '其他')",
            name=op.f("ck_service_request_topic_known"),
        ),
        sa.CheckConstraint(
            "type IN ('咨询', '投诉', '建议', '求助')", name=op.f("ck_service_request_type_known")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_service_request_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_service_request_enterprise_id_enterprise"),
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officer.id"], name=op.f("fk_service_request_officer_id_officer")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_service_request_project_id_project")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["station.id"], name=op.f("fk_service_request_station_id_station")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_request")),
        sa.UniqueConstraint("submission_key", name=op.f("uq_service_request_submission_key")),
        sa.UniqueConstraint("tracking_no", name=op.f("uq_service_request_tracking_no")),
    )
    with op.batch_alter_table("service_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_request_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_service_request_officer_id"), ["officer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_service_request_project_id"), ["project_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_service_request_received_at"), ["received_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_service_request_station_id"), ["station_id"], unique=False
        )

    op.create_table(
        "request_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("from_status", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("to_status", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("at", liaison.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_user_id"],
            ["user_account.id"],
            name=op.f("fk_request_event_by_user_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["service_request.id"],
            name=op.f("fk_request_event_request_id_service_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_event")),
    )
    with op.batch_alter_table("request_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_request_event_request_id"), ["request_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("request_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_event_request_id"))

    op.drop_table("request_event")
    with op.batch_alter_table("service_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_request_station_id"))
        batch_op.drop_index(batch_op.f("ix_service_request_received_at"))
        batch_op.drop_index(batch_op.f("ix_service_request_project_id"))
        batch_op.drop_index(batch_op.f("ix_service_request_officer_id"))
        batch_op.drop_index(batch_op.f("ix_service_request_enterprise_id"))

    op.drop_table("service_request")
