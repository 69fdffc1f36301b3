"""PostgreSQL least privilege (issue 18, finding 6): two roles, so that the app cannot undo the
database's own guards.

- **The owner** (LIAISON_DATABASE_OWNER_URL) owns the schema and its tables: it runs the
  migrations (`liaison init`), the audit purge (which lifts the audit log's guard, an ALTER
  TABLE only an owner may run) and `liaison restore`.
- **The app** (LIAISON_DATABASE_URL) reads and writes rows and nothing else: no TRUNCATE, no
  TRIGGER, no DDL (an owner could `ALTER TABLE audit_log DISABLE TRIGGER` and then rewrite the
  log). On `audit_log` it may only INSERT and SELECT; on the append-only `recovery` ledger it
  may not DELETE (UPDATE stays: locking a row FOR UPDATE, as a reversal does, needs it; the
  trigger still refuses the update itself); `alembic_version` it only reads.

The grants follow every migration, in its transaction (migrations/env.py calls `grant_app`), so
a table a later revision adds is the app's too; default privileges cover one the owner makes
by hand. Without LIAISON_DATABASE_OWNER_URL one role does both, as before (SQLite, development).
`liaison init --roles-sql` prints what a DBA runs to make the two roles, `--admin-url` runs it;
`liaison check` says when the app connects as an owner or a superuser."""

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from liaison.checks import Problem
from liaison.config import Settings
from liaison.db import make_engine, normalise_url

# Tables the app may change less than the rest, and what it may do on them.
NARROWED = {
    "audit_log": "SELECT, INSERT",
    "recovery": "SELECT, INSERT, UPDATE",
    "alembic_version": "SELECT",
}
ROW_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
FIX = (
    "让应用以只有数据操作权限的账号连接：用 liaison init --roles-sql 生成建账号的语句交 DBA 执行"
    "（或 liaison init --admin-url 超级用户连接串 直接执行），设 LIAISON_DATABASE_OWNER_URL 为"
    "表所有者账号、LIAISON_DATABASE_URL 为应用账号，再运行 liaison init"
)


def _user(url: str) -> str | None:
    return sa.make_url(normalise_url(url)).username


def _on_postgres(url: str) -> bool:
    return normalise_url(url).startswith("postgresql")


def app_role(settings: Settings) -> str | None:
    """The app's own role when it is not the one that migrates; None when one role does both."""
    owner_url, app_url = settings.database_owner_url, settings.database_url
    if not (owner_url and _on_postgres(owner_url) and _on_postgres(app_url)):
        return None
    app = _user(app_url)
    return app if app and app != _user(owner_url) else None


def _quote(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote_identifier(name)


def _pg_quote(name: str) -> str:
    return postgresql.dialect().identifier_preparer.quote(name)


def grant_app(connection: Connection, role: str) -> None:
    """Give `role` the app's privileges on every table and sequence of the current schema, as
    the owner, exactly: what it had beyond them (an earlier, wider grant) is revoked."""
    app = _quote(connection, role)
    schema = _quote(connection, connection.exec_driver_sql("SELECT current_schema()").scalar_one())
    statements = [
        f"GRANT USAGE ON SCHEMA {schema} TO {app}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {app}",
        f"GRANT {ROW_PRIVILEGES} ON ALL TABLES IN SCHEMA {schema} TO {app}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {app}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {app}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT {ROW_PRIVILEGES} ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {app}",
    ]
    existing = set(sa.inspect(connection).get_table_names())
    for table, allowed in NARROWED.items():
        if table in existing:
            statements += [
                f"REVOKE ALL ON {_quote(connection, table)} FROM {app}",
                f"GRANT {allowed} ON {_quote(connection, table)} TO {app}",
            ]
    for statement in statements:
        connection.exec_driver_sql(statement)


def roles_sql(settings: Settings, *, passwords: bool = False) -> list[str]:
    """The statements that make the owner and app roles named in the two URLs, and give the
    owner the database and its public schema; run by a superuser (or a CREATEROLE role that
    owns the database), on that database. Passwords only when asked, from the URLs: printed
    SQL never holds one (psql's \\password sets it instead)."""
    owner_url, app_url = settings.database_owner_url, settings.database_url
    owner, app = _user(owner_url), _user(app_url)
    if not (owner and app and owner != app and _on_postgres(owner_url) and _on_postgres(app_url)):
        raise ValueError(
            "需要 PostgreSQL 上的两个不同账号：LIAISON_DATABASE_OWNER_URL（表所有者）"
            "和 LIAISON_DATABASE_URL（应用）"
        )
    database = sa.make_url(normalise_url(app_url)).database or ""
    statements = []
    for name, url in ((owner, owner_url), (app, app_url)):
        role, literal = _pg_quote(name), name.replace("'", "''")
        statements.append(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
            f"'{literal}') THEN CREATE ROLE {role} LOGIN; END IF; END $$"
        )
        attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
        password = sa.make_url(normalise_url(url)).password
        if passwords and password:
            attributes += " PASSWORD '" + str(password).replace("'", "''") + "'"
        statements.append(f"ALTER ROLE {role} {attributes}")
    statements += [
        f"ALTER DATABASE {_pg_quote(database)} OWNER TO {_pg_quote(owner)}",
        f"ALTER SCHEMA public OWNER TO {_pg_quote(owner)}",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        f"GRANT CONNECT ON DATABASE {_pg_quote(database)} TO {_pg_quote(app)}",
    ]
    return statements


def roles_script(settings: Settings) -> str:
    """`roles_sql` for psql, ending with the commands that set the two passwords by prompt."""
    script = [f"{statement};" for statement in roles_sql(settings)]
    for url in (settings.database_owner_url, settings.database_url):
        script.append(f"\\password {_pg_quote(_user(url) or '')}")
    return "\n".join(script)


def create_roles(settings: Settings, admin_url: str) -> None:
    """Run `roles_sql` through `admin_url`, on the app's database, passwords from the URLs."""
    database = sa.make_url(normalise_url(settings.database_url)).database
    url = sa.make_url(normalise_url(admin_url)).set(database=database)
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        with engine.begin() as connection:
            for statement in roles_sql(settings, passwords=True):
                connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


PRIVILEGES_QUERY = """
SELECT r.rolname, r.rolsuper,
  has_schema_privilege(current_schema(), 'CREATE') AS creates,
  (SELECT count(*) FROM pg_class c
     WHERE c.relnamespace = to_regnamespace(current_schema()) AND c.relkind IN ('r', 'p')
       AND pg_has_role(current_user, c.relowner, 'USAGE')) AS owned,
  (SELECT count(*) FROM pg_class c
     WHERE c.relnamespace = to_regnamespace(current_schema()) AND c.relkind IN ('r', 'p')
       AND (has_table_privilege(c.oid, 'TRUNCATE') OR has_table_privilege(c.oid, 'TRIGGER')
            OR (c.relname = 'audit_log' AND has_table_privilege(c.oid, 'UPDATE, DELETE'))))
    AS too_wide
FROM pg_roles r WHERE r.rolname = current_user
"""


def role_problems(settings: Settings) -> list[Problem]:
    """In production on PostgreSQL: whether the app's connection could lift the database's
    guards (a superuser, an owner of the tables or a role that may create them, or a grant
    wider than `grant_app`'s). A database that cannot be reached says nothing here: `liaison
    init` reports that on its own."""
    url = settings.database_url
    if not (settings.is_production and _on_postgres(url)):
        return []
    engine = sa.create_engine(normalise_url(url), connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            row = connection.exec_driver_sql(PRIVILEGES_QUERY).one()
    except sa.exc.SQLAlchemyError:
        return []
    finally:
        engine.dispose()
    if row.rolsuper:
        what = f"以超级用户 {row.rolname} 连接数据库：应用可关闭审计日志的防篡改触发器、删除任何表"
    elif row.owned or row.creates:
        what = (
            f"以表的所有者（或可建表的账号）{row.rolname} 连接数据库："
            "应用可关闭审计日志的防篡改触发器（ALTER TABLE … DISABLE TRIGGER）、删除或清空表"
        )
    elif row.too_wide:
        what = (
            f"应用账号 {row.rolname} 的权限过宽：可清空表（TRUNCATE）、改触发器（TRIGGER）"
            "或修改删除审计日志"
        )
    else:
        return []
    return [Problem("LIAISON_DATABASE_URL", what, FIX)]
