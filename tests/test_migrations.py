"""Migrations: upgrade from empty, downgrade to empty, and no drift from the models."""

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

import liaison.models  # noqa: F401
from liaison.db import alembic_config, make_engine
from tests.conftest import ON_POSTGRES, recreate_pg_database


@pytest.fixture
def empty_url(tmp_path) -> Iterator[str]:
    if ON_POSTGRES:
        yield recreate_pg_database("liaison_migrations")
    else:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    names = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    return names - {"alembic_version"}


def test_there_is_a_single_head():
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1


def test_upgrade_from_empty_then_downgrade_to_empty(empty_url):
    config = alembic_config(empty_url)
    command.upgrade(config, "head")
    assert table_names(empty_url) == set(SQLModel.metadata.tables)
    command.downgrade(config, "base")
    assert table_names(empty_url) == set()
    command.upgrade(config, "head")  # and back up again: the downgrade left nothing behind
    assert table_names(empty_url) == set(SQLModel.metadata.tables)


def test_every_revision_steps_down_and_up(empty_url):
    config = alembic_config(empty_url)
    revisions = list(ScriptDirectory.from_config(config).walk_revisions())
    command.upgrade(config, "head")
    for _ in revisions:
        command.downgrade(config, "-1")
    for _ in revisions:
        command.upgrade(config, "+1")
    assert table_names(empty_url) == set(SQLModel.metadata.tables)


def test_models_and_migrations_do_not_drift(migrated_database):
    engine = make_engine(migrated_database)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert diff == [], f"models differ from migrations; run `make revision`: {diff}"
