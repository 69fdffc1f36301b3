"""Alembic environment: the app's metadata, its database URL (the owner's, when set), batch
mode on SQLite, and the app role's grants after every migration (liaison/db_roles.py)."""

from logging.config import fileConfig

from alembic import context
from sqlmodel import SQLModel

import liaison.models  # noqa: F401  (registers every table)
from liaison.config import get_settings
from liaison.db import make_engine, normalise_url
from liaison.db_roles import app_role, grant_app

config = context.config
if config.config_file_name is not None and not config.attributes.get("skip_logging"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def database_url() -> str:
    return config.attributes.get("database_url") or normalise_url(get_settings().migration_url)


def run_migrations_offline() -> None:
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(database_url())
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        # In the same transaction: a table is never there without the app's grants.
        role = app_role(get_settings()) if connection.dialect.name == "postgresql" else None
        if role:
            grant_app(connection, role)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
