"""a reversal fits its entry, in the database too

Revision ID: 7c1e0f3a9b52
Revises: d04d60bc0857
Create Date: 2026-12-05 03:30:00+08:00

The service checks a reversal (liaison.recoveries.service.reversal_problems); this trigger is
the backstop for a raw INSERT: a reversal names an entry that is not itself a reversal, takes
its project and source, is dated on or after it, and never takes more than is left of it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7c1e0f3a9b52"
down_revision: str | None = "d04d60bc0857"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# True when NEW is a reversal that does not fit its original (SQL shared by both engines).
MISFIT = """NOT EXISTS (
        SELECT 1 FROM recovery o
        WHERE o.id = NEW.reverses_id AND o.reverses_id IS NULL
          AND o.project_id = NEW.project_id AND o.source = NEW.source
          AND o.recovered_on <= NEW.recovered_on
          AND o.amount_fen + NEW.amount_fen + COALESCE(
              (SELECT SUM(r.amount_fen) FROM recovery r WHERE r.reverses_id = o.id), 0) >= 0
    )"""
MESSAGE = "reversal does not fit its entry (project, source, date or amount left)"

SQLITE_TRIGGER = f"""CREATE TRIGGER recovery_reversal_fits BEFORE INSERT ON recovery
    WHEN NEW.reverses_id IS NOT NULL AND {MISFIT}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"""

# On PostgreSQL the original's row is locked first, so two reversals inserted at once by
# different connections are checked one after the other and cannot both take the last yuan.
PG_FUNCTION = f"""CREATE FUNCTION recovery_reversal_fits() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.reverses_id IS NOT NULL THEN
        PERFORM 1 FROM recovery WHERE id = NEW.reverses_id FOR UPDATE;
        IF {MISFIT} THEN
            RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END $$"""
PG_TRIGGER = """CREATE TRIGGER recovery_reversal_fits BEFORE INSERT ON recovery
FOR EACH ROW EXECUTE FUNCTION recovery_reversal_fits()"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER recovery_reversal_fits ON recovery")
        op.execute("DROP FUNCTION recovery_reversal_fits()")
    else:
        op.execute("DROP TRIGGER recovery_reversal_fits")
