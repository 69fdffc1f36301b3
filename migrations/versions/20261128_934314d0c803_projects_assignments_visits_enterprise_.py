"""projects, assignments, visits, enterprise details and contacts

At most one current assignment per project: a partial unique index on both databases.

Revision ID: 934314d0c803
Revises: 9782ec6f8a0f
Create Date: 2026-11-28 21:14:57.511382+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import liaison.db

revision: str = "934314d0c803"
down_revision: str | None = "9782ec6f8a0f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("investment_fen", sa.BigInteger(), nullable=True),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column(
            "site_security_contact", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False
        ),
        sa.Column(
            "site_security_phone", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False
        ),
        sa.Column("workforce", sa.Integer(), nullable=True),
        sa.Column("key_risks", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("archived_at", liaison.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", liaison.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "level IN ('国家级', '省级', '市级', '区级')", name=op.f("ck_project_level_known")
        ),
        sa.CheckConstraint(
            "stage IN ('前期', '在建', '投运')", name=op.f("ck_project_stage_known")
        ),
        sa.CheckConstraint(
            "investment_fen IS NULL OR investment_fen >= 0",
            name=op.f("ck_project_investment_positive"),
        ),
        sa.CheckConstraint(
            "workforce IS NULL OR workforce >= 0", name=op.f("ck_project_workforce_positive")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_project_enterprise_id_enterprise")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["station.id"], name=op.f("fk_project_station_id_station")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project")),
        sa.UniqueConstraint("code", name=op.f("uq_project_code")),
    )
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_project_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_project_station_id"), ["station_id"], unique=False)

    op.create_table(
        "assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.Column("end_reason", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", liaison.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date", name=op.f("ck_assignment_dates_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"],
            ["user_account.id"],
            name=op.f("fk_assignment_assigned_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_id"],
            ["user_account.id"],
            name=op.f("fk_assignment_ended_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officer.id"], name=op.f("fk_assignment_officer_id_officer")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_assignment_project_id_project")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment")),
    )
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignment_officer_id"), ["officer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignment_project_id"), ["project_id"], unique=False)
        batch_op.create_index(
            "uq_assignment_current_project",
            ["project_id"],
            unique=True,
            sqlite_where=sa.text("end_date IS NULL"),
            postgresql_where=sa.text("end_date IS NULL"),
        )

    op.create_table(
        "enterprise_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", liaison.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_enterprise_contact_enterprise_id_enterprise"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_enterprise_contact_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprise_contact")),
        sa.UniqueConstraint("user_id", name=op.f("uq_enterprise_contact_user_id")),
    )
    with op.batch_alter_table("enterprise_contact", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_enterprise_contact_enterprise_id"), ["enterprise_id"], unique=False
        )

    op.create_table(
        "visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("visit_date", sa.Date(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("summary", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", liaison.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('走访', '巡查', '宣传', '座谈')", name=op.f("ck_visit_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user_account.id"], name=op.f("fk_visit_created_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officer.id"], name=op.f("fk_visit_officer_id_officer")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_visit_project_id_project")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit")),
    )
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_officer_id"), ["officer_id"], unique=False)
        batch_op.create_index("ix_visit_project_date", ["project_id", "visit_date"], unique=False)

    with op.batch_alter_table("enterprise", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "industry",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column(
                "town",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column(
                "address",
                sqlmodel.sql.sqltypes.AutoString(length=255),
                nullable=False,
                server_default="",
            )
        )
        batch_op.create_index(batch_op.f("ix_enterprise_name"), ["name"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("enterprise", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enterprise_name"))
        batch_op.drop_column("address")
        batch_op.drop_column("town")
        batch_op.drop_column("industry")

    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_index("ix_visit_project_date")
        batch_op.drop_index(batch_op.f("ix_visit_officer_id"))

    op.drop_table("visit")
    with op.batch_alter_table("enterprise_contact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enterprise_contact_enterprise_id"))

    op.drop_table("enterprise_contact")
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_assignment_current_project",
            sqlite_where=sa.text("end_date IS NULL"),
            postgresql_where=sa.text("end_date IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_assignment_project_id"))
        batch_op.drop_index(batch_op.f("ix_assignment_officer_id"))

    op.drop_table("assignment")
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_station_id"))
        batch_op.drop_index(batch_op.f("ix_project_name"))
        batch_op.drop_index(batch_op.f("ix_project_enterprise_id"))

    op.drop_table("project")
