"""security: second factor, recovery codes, audit chain, de-identified requests

Revision ID: b04ea3cd3767
Revises: 74f781e5d9b6
Create Date: 2026-11-29 02:11:33.098988+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import liaison.db

revision: str = "b04ea3cd3767"
down_revision: str | None = "74f781e5d9b6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("used_at", liaison.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_recovery_code_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_recovery_code_code_hash")),
    )
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_code_user_id"), ["user_id"], unique=False)

    # Not in batch mode: a copy of audit_log would lose its append-only triggers on SQLite.
    op.add_column(
        "audit_log",
        sa.Column("prev_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    )
    op.add_column(
        "audit_log",
        sa.Column("row_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    )

    with op.batch_alter_table("service_request", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("deidentified_at", liaison.db.UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("totp_secret", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(
            sa.Column("totp_confirmed_at", liaison.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))

    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "second_factor_pending", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.drop_column("second_factor_pending")

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_confirmed_at")
        batch_op.drop_column("totp_secret")

    with op.batch_alter_table("service_request", schema=None) as batch_op:
        batch_op.drop_column("deidentified_at")

    op.drop_column("audit_log", "row_hash")
    op.drop_column("audit_log", "prev_hash")

    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_code_user_id"))

    op.drop_table("recovery_code")
