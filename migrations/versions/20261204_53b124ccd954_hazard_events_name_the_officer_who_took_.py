"""hazard events name the officer who took the step

Revision ID: 53b124ccd954
Revises: b04ea3cd3767
Create Date: 2026-12-04 10:18:22.441875+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "53b124ccd954"
down_revision: str | None = "b04ea3cd3767"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hazard_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("officer_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_hazard_event_officer_id_officer"), "officer", ["officer_id"], ["id"]
        )
    # The finding was the finder's; later steps of the past name whom their login was.
    op.execute(
        "UPDATE hazard_event SET officer_id = (SELECT found_by_id FROM hazard"
        " WHERE hazard.id = hazard_event.hazard_id) WHERE action = 'found'"
    )
    op.execute(
        "UPDATE hazard_event SET officer_id = (SELECT officer_id FROM user_account"
        " WHERE user_account.id = hazard_event.by_user_id)"
        " WHERE officer_id IS NULL AND by_user_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("hazard_event", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_hazard_event_officer_id_officer"), type_="foreignkey"
        )
        batch_op.drop_column("officer_id")
