"""desk service levels, working-day calendar, deadlines on requests, the enterprise named

Revision ID: b2a1a6578be9
Revises: da4068b34b0e
Create Date: 2026-11-28 23:23:45.442234+08:00
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
import sqlmodel
from alembic import op

import liaison.db

revision: str = "b2a1a6578be9"
down_revision: str | None = "da4068b34b0e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("workday", sa.Boolean(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_day")),
    )
    op.create_table(
        "service_level",
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("response_hours", sa.Integer(), nullable=False),
        sa.Column("close_days", sa.Integer(), nullable=False),
        sa.Column("working_days", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "type IN ('咨询', '投诉', '建议', '求助')", name=op.f("ck_service_level_type_known")
        ),
        sa.CheckConstraint(
            "close_days BETWEEN 1 AND 365", name=op.f("ck_service_level_close_days_range")
        ),
        sa.CheckConstraint(
            "response_hours BETWEEN 1 AND 720", name=op.f("ck_service_level_response_hours_range")
        ),
        sa.PrimaryKeyConstraint("type", name=op.f("pk_service_level")),
    )
    with op.batch_alter_table("service_request", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("respond_by", liaison.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("close_by", liaison.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "enterprise_name",
                sqlmodel.sql.sqltypes.AutoString(length=128),
                nullable=False,
                server_default="",
            )
        )
    _backfill_deadlines()
    with op.batch_alter_table("service_request", schema=None) as batch_op:
        batch_op.alter_column("respond_by", nullable=False)
        batch_op.alter_column("close_by", nullable=False)


def _backfill_deadlines() -> None:
    """Requests received before service levels were stored get the defaults then in force:
    24 hours to respond, 7 days to close."""
    requests = sa.table(
        "service_request",
        sa.column("id", sa.Integer()),
        sa.column("received_at", liaison.db.UTCDateTime(timezone=True)),
        sa.column("respond_by", liaison.db.UTCDateTime(timezone=True)),
        sa.column("close_by", liaison.db.UTCDateTime(timezone=True)),
    )
    bind = op.get_bind()
    for row in bind.execute(sa.select(requests.c.id, requests.c.received_at)).all():
        bind.execute(
            requests.update()
            .where(requests.c.id == row.id)
            .values(
                respond_by=row.received_at + timedelta(hours=24),
                close_by=row.received_at + timedelta(days=7),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("service_request", schema=None) as batch_op:
        batch_op.drop_column("enterprise_name")
        batch_op.drop_column("close_by")
        batch_op.drop_column("respond_by")

    op.drop_table("service_level")
    op.drop_table("calendar_day")
