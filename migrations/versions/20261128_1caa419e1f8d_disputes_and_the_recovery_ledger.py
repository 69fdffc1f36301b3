"""disputes and the recovery ledger

The ledger is append-only: triggers refuse UPDATE and DELETE on `recovery`, as on `audit_log`.

Revision ID: 1caa419e1f8d
Revises: 1a0d62837818
Create Date: 2026-11-28 21:55:54.858207+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import liaison.db

revision: str = "1caa419e1f8d"
down_revision: str | None = "1a0d62837818"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER recovery_no_{verb} BEFORE {verb.upper()} ON recovery
    BEGIN SELECT RAISE(ABORT, 'recovery is append-only'); END"""
    for verb in ("update", "delete")
]
PG_FUNCTION = """CREATE FUNCTION recovery_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'recovery is append-only'; END $$"""
PG_TRIGGER = """CREATE TRIGGER recovery_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
ON recovery FOR EACH STATEMENT EXECUTE FUNCTION recovery_append_only()"""


def upgrade() -> None:
    op.create_table(
        "dispute",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("facts", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("handler_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("outcome_note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("transferred_to", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("obligations", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("agreement_fen", sa.BigInteger(), nullable=True),
        sa.Column(
            "performance_method", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False
        ),
        sa.Column("perform_by", sa.Date(), nullable=True),
        sa.Column("judicial_confirmation", sa.Boolean(), nullable=False),
        sa.Column("performance", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", liaison.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(status = '调解中') = (closed_on IS NULL)",
            name=op.f("ck_dispute_closed_on_iff_closed"),
        ),
        sa.CheckConstraint(
            "status IN ('调解中', '调解成功', '调解失败', '已移交')",
            name=op.f("ck_dispute_status_known"),
        ),
        sa.CheckConstraint(
            "type IN ('劳资纠纷', '合同纠纷', '征地拆迁', '阻工扰工', '邻里纠纷', '其他')",
            name=op.f("ck_dispute_type_known"),
        ),
        sa.CheckConstraint(
            "agreement_fen IS NULL OR agreement_fen >= 0",
            name=op.f("ck_dispute_agreement_positive"),
        ),
        sa.CheckConstraint(
            "amount_fen IS NULL OR amount_fen >= 0", name=op.f("ck_dispute_amount_positive")
        ),
        sa.CheckConstraint(
            "closed_on IS NULL OR closed_on >= received_on",
            name=op.f("ck_dispute_closed_after_received"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_dispute_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["handler_id"], ["officer.id"], name=op.f("fk_dispute_handler_id_officer")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_dispute_project_id_project")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute")),
        sa.UniqueConstraint("code", name=op.f("uq_dispute_code")),
    )
    with op.batch_alter_table("dispute", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispute_handler_id"), ["handler_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dispute_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dispute_received_on"), ["received_on"], unique=False)

    op.create_table(
        "dispute_follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("summary", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", liaison.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_user_id"],
            ["user_account.id"],
            name=op.f("fk_dispute_follow_up_by_user_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["dispute_id"], ["dispute.id"], name=op.f("fk_dispute_follow_up_dispute_id_dispute")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_follow_up")),
    )
    with op.batch_alter_table("dispute_follow_up", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dispute_follow_up_dispute_id"), ["dispute_id"], unique=False
        )

    op.create_table(
        "dispute_party",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("id_number", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.CheckConstraint(
            "role IN ('申请人', '被申请人')", name=op.f("ck_dispute_party_role_known")
        ),
        sa.ForeignKeyConstraint(
            ["dispute_id"], ["dispute.id"], name=op.f("fk_dispute_party_dispute_id_dispute")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_party")),
    )
    with op.batch_alter_table("dispute_party", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dispute_party_dispute_id"), ["dispute_id"], unique=False
        )

    op.create_table(
        "recovery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("recovered_on", sa.Date(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=True),
        sa.Column("hazard_id", sa.Integer(), nullable=True),
        sa.Column("case_number", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("submission_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", liaison.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "source IN ('电信诈骗返还', '盗抢追赃', '纠纷化解', '欠薪追回', '其他')",
            name=op.f("ck_recovery_source_known"),
        ),
        sa.CheckConstraint(
            "(reverses_id IS NULL AND amount_fen > 0) OR (reverses_id IS NOT NULL AND amount_fen < 0)",
            name=op.f("ck_recovery_sign_matches_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_recovery_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["dispute_id"], ["dispute.id"], name=op.f("fk_recovery_dispute_id_dispute")
        ),
        sa.ForeignKeyConstraint(
            ["hazard_id"], ["hazard.id"], name=op.f("fk_recovery_hazard_id_hazard")
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officer.id"], name=op.f("fk_recovery_officer_id_officer")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_recovery_project_id_project")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"], ["recovery.id"], name=op.f("fk_recovery_reverses_id_recovery")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery")),
        sa.UniqueConstraint("code", name=op.f("uq_recovery_code")),
        sa.UniqueConstraint("submission_key", name=op.f("uq_recovery_submission_key")),
    )
    with op.batch_alter_table("recovery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_officer_id"), ["officer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_recovery_project_id"), ["project_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_recovery_recovered_on"), ["recovered_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_recovery_reverses_id"), ["reverses_id"], unique=False)
        batch_op.create_index(
            "uq_recovery_dispute_entry",
            ["dispute_id"],
            unique=True,
            sqlite_where=sa.text("reverses_id IS NULL AND dispute_id IS NOT NULL"),
            postgresql_where=sa.text("reverses_id IS NULL AND dispute_id IS NOT NULL"),
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER recovery_append_only ON recovery")
        op.execute("DROP FUNCTION recovery_append_only()")
    else:
        op.execute("DROP TRIGGER recovery_no_update")
        op.execute("DROP TRIGGER recovery_no_delete")
    with op.batch_alter_table("recovery", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_recovery_dispute_entry",
            sqlite_where=sa.text("reverses_id IS NULL AND dispute_id IS NOT NULL"),
            postgresql_where=sa.text("reverses_id IS NULL AND dispute_id IS NOT NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_recovery_reverses_id"))
        batch_op.drop_index(batch_op.f("ix_recovery_recovered_on"))
        batch_op.drop_index(batch_op.f("ix_recovery_project_id"))
        batch_op.drop_index(batch_op.f("ix_recovery_officer_id"))

    op.drop_table("recovery")
    with op.batch_alter_table("dispute_party", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispute_party_dispute_id"))

    op.drop_table("dispute_party")
    with op.batch_alter_table("dispute_follow_up", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispute_follow_up_dispute_id"))

    op.drop_table("dispute_follow_up")
    with op.batch_alter_table("dispute", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispute_received_on"))
        batch_op.drop_index(batch_op.f("ix_dispute_project_id"))
        batch_op.drop_index(batch_op.f("ix_dispute_handler_id"))

    op.drop_table("dispute")
