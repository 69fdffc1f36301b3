"""hazards and attachments: the hazard loop with its events; files stored in the database

Revision ID: 1a0d62837818
Revises: 934314d0c803
Create Date: 2026-11-28 21:36:49.529606+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import liaison.db

revision: str = "1a0d62837818"
down_revision: str | None = "934314d0c803"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("tag", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", liaison.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["user_account.id"],
            name=op.f("fk_attachment_uploaded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
    )
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.create_index("ix_attachment_owner", ["owner_type", "owner_id"], unique=False)

    op.create_table(
        "hazard",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("location", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("found_on", sa.Date(), nullable=False),
        sa.Column("found_by_id", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column(
            "responsible_party", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False
        ),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", liaison.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(status = '已销号') = (closed_on IS NOT NULL)",
            name=op.f("ck_hazard_closed_on_iff_closed"),
        ),
        sa.CheckConstraint(
            "category IN ('消防安全', '治安防范', '交通安全', '生产安全', '环境保护', '周边治安复杂区域', '其他')",
            name=op.f("ck_hazard_category_known"),
        ),
        sa.CheckConstraint("level IN ('一般', '较大', '重大')", name=op.f("ck_hazard_level_known")),
        sa.CheckConstraint(
            "status IN ('待整改', '整改中', '待复查', '已销号')",
            name=op.f("ck_hazard_status_known"),
        ),
        sa.CheckConstraint(
            "closed_on IS NULL OR closed_on >= found_on", name=op.f("ck_hazard_closed_after_found")
        ),
        sa.CheckConstraint("deadline >= found_on", name=op.f("ck_hazard_deadline_after_found")),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["user_account.id"], name=op.f("fk_hazard_closed_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_hazard_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["found_by_id"], ["officer.id"], name=op.f("fk_hazard_found_by_id_officer")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_hazard_project_id_project")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hazard")),
        sa.UniqueConstraint("code", name=op.f("uq_hazard_code")),
    )
    with op.batch_alter_table("hazard", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hazard_found_by_id"), ["found_by_id"], unique=False)
        batch_op.create_index("ix_hazard_found_on", ["found_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_hazard_project_id"), ["project_id"], unique=False)
        batch_op.create_index("ix_hazard_status_deadline", ["status", "deadline"], unique=False)

    op.create_table(
        "attachment_blob",
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("variant", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["attachment.id"],
            name=op.f("fk_attachment_blob_attachment_id_attachment"),
        ),
        sa.PrimaryKeyConstraint("attachment_id", "variant", name=op.f("pk_attachment_blob")),
    )
    op.create_table(
        "hazard_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hazard_id", sa.Integer(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("from_status", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("to_status", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("at", liaison.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_user_id"],
            ["user_account.id"],
            name=op.f("fk_hazard_event_by_user_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["hazard_id"], ["hazard.id"], name=op.f("fk_hazard_event_hazard_id_hazard")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hazard_event")),
    )
    with op.batch_alter_table("hazard_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hazard_event_hazard_id"), ["hazard_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("hazard_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hazard_event_hazard_id"))

    op.drop_table("hazard_event")
    op.drop_table("attachment_blob")
    with op.batch_alter_table("hazard", schema=None) as batch_op:
        batch_op.drop_index("ix_hazard_status_deadline")
        batch_op.drop_index(batch_op.f("ix_hazard_project_id"))
        batch_op.drop_index("ix_hazard_found_on")
        batch_op.drop_index(batch_op.f("ix_hazard_found_by_id"))

    op.drop_table("hazard")
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index("ix_attachment_owner")

    op.drop_table("attachment")
