"""api tokens expire

Revision ID: 5e2a8d1c4f70
Revises: 7c1e0f3a9b52
Create Date: 2026-12-05 04:40:00+08:00

Tokens made from now on stop working after LIAISON_API_TOKEN_DAYS; those made before keep no
expiry (None) until they are revoked.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import liaison.db

revision: str = "5e2a8d1c4f70"
down_revision: str | None = "7c1e0f3a9b52"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("expires_at", liaison.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
