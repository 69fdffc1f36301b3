"""The audit log's append-only guard: triggers that make the database itself refuse UPDATE and
DELETE on audit_log (the foundation migration creates them from the SQL here), and the one
controlled way past them, which the retention purge takes."""

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

SQLITE_TRIGGERS = {
    f"audit_log_no_{verb}": (
        f"""CREATE TRIGGER audit_log_no_{verb} BEFORE {verb.upper()} ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"""
    )
    for verb in ("update", "delete")
}
PG_FUNCTION = """CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$"""
PG_TRIGGER_NAME = "audit_log_append_only"
PG_TRIGGER = f"""CREATE TRIGGER {PG_TRIGGER_NAME} BEFORE UPDATE OR DELETE OR TRUNCATE
ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"""


@contextmanager
def lifted(connection: sa.Connection) -> Iterator[None]:
    """Let this transaction change audit_log; the guard is back before it commits.

    Nobody else ever sees the guard down: DDL is transactional on both databases, and lifting
    it takes a lock that keeps every other writer of audit_log out until commit (SQLite's write
    lock; SHARE ROW EXCLUSIVE on PostgreSQL, which needs the table's owner, the role that ran
    `liaison init`). If the block fails, the rollback restores the guard."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"ALTER TABLE audit_log DISABLE TRIGGER {PG_TRIGGER_NAME}")
        yield
        connection.exec_driver_sql(f"ALTER TABLE audit_log ENABLE TRIGGER {PG_TRIGGER_NAME}")
    else:
        for name in SQLITE_TRIGGERS:
            connection.exec_driver_sql(f"DROP TRIGGER {name}")
        yield
        for create in SQLITE_TRIGGERS.values():
            connection.exec_driver_sql(create)
