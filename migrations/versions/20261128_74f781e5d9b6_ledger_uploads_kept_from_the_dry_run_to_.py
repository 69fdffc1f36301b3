"""ledger uploads kept from the dry run to the import

Revision ID: 74f781e5d9b6
Revises: b2a1a6578be9
Create Date: 2026-11-28 23:52:54.066136+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import liaison.db

revision: str = "74f781e5d9b6"
down_revision: str | None = "b2a1a6578be9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", liaison.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", liaison.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('checked', 'running', 'done', 'failed')",
            name=op.f("ck_ledger_upload_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_ledger_upload_created_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_upload")),
    )


def downgrade() -> None:
    op.drop_table("ledger_upload")
