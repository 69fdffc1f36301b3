"""the security administrator role

Revision ID: b7e41c9d2a63
Revises: 5e2a8d1c4f70
Create Date: 2026-12-06 21:00:00+08:00

A login may now be a security administrator (安全管理员), the third of the three administrators:
the role check of user_account admits "security". Downgrading refuses while such a login exists.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b7e41c9d2a63"
down_revision: str | None = "5e2a8d1c4f70"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = "'admin', 'auditor', 'leader', 'chief', 'officer', 'enterprise'"
AFTER = "'admin', 'security', 'auditor', 'leader', 'chief', 'officer', 'enterprise'"


def _role_check(values: str) -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_user_account_role_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_user_account_role_known"), f"role IN ({values})")


def upgrade() -> None:
    _role_check(AFTER)


def downgrade() -> None:
    _role_check(BEFORE)
