"""Engine, sessions, the constraint naming convention and SQLite pragmas."""

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from alembic.config import Config
from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, func, select

from liaison.checks import Problem
from liaison.config import Settings, get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
# How long a writer waits for SQLite's one write lock (an import holds it for its whole
# transaction) before giving up: the request is then refused with a 503 and Retry-After
# (liaison/http.py), not held for as long as the lock is. Its worker thread waits, never the
# event loop (liaison/forms.py: posted_form).
SQLITE_BUSY_SECONDS = 5
# PostgreSQL's codes for a wait given up on that a retry in a moment may pass:
# lock_not_available (lock_timeout), serialization_failure, deadlock_detected.
RETRYABLE_SQLSTATES = frozenset({"55P03", "40001", "40P01"})


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite keeps no offset)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; use liaison.clock.now()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_check(column: str, enum: type[StrEnum]) -> sa.CheckConstraint:
    """A CHECK that `column` holds one of the enum's values (its Chinese words)."""
    values = ", ".join(f"'{e.value}'" for e in enum)
    return sa.CheckConstraint(f"{column} IN ({values})", name=f"{column}_known")


def unique_where(name: str, column: str, where: str) -> sa.Index:
    """A unique index over the rows matching `where` only, on both engines."""
    return sa.Index(
        name, column, unique=True, sqlite_where=sa.text(where), postgresql_where=sa.text(where)
    )


def one_at_a_time(session: Session, key: str) -> None:
    """Until this transaction ends, no other transaction passes this call with the same `key`:
    a count-then-insert rule (at most 9 files a record) holds across processes. PostgreSQL takes
    a transaction-scoped advisory lock; SQLite needs none, its writers begin IMMEDIATE, one at
    a time."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


Record = TypeVar("Record", bound=SQLModel)
Fields = Mapping[str, Any]


def add_numbered(
    session: Session,
    row: Record,
    prefix: str,
    attempts: int = 5,
    field: str = "code",
    draw: Callable[[], str] | None = None,
) -> Record:
    """Give `row` the next free number `<prefix>NNNN` in `field` (or `<prefix>` and what `draw`
    makes, for a number nobody should guess) and insert it. Two requests may take the same
    number at once: the unique constraint refuses the second, which tries the next (or draws
    again). The same form sent twice at once, to two processes, passed both `submitted_before`
    checks: its `submission_key` refuses the second insert, which gets the row the first made,
    returned instead of `row` (the first process's, as if the second had come after it)."""
    model = type(row)
    column = getattr(model, field)
    attempt = 0
    while True:
        if draw is not None:
            setattr(row, field, prefix + draw())
        else:
            taken = session.exec(
                select(func.count()).select_from(model).where(column.startswith(prefix))
            ).one()
            setattr(row, field, f"{prefix}{taken + 1 + attempt:04d}")
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
            return row
        except sa.exc.IntegrityError:
            earlier = submitted_before(session, model, getattr(row, "submission_key", None))
            if earlier is not None:
                return earlier
            attempt += 1
            if attempt == attempts:
                raise


def put_all(
    session: Session,
    model: type[Record],
    rows: Iterable[tuple[Record | None, Fields]],
    *,
    created: Fields | None = None,
) -> list[Record]:
    """Each (record or None, fields) made to hold its fields, a new one with `created` too;
    added, not flushed, so that a whole sheet of a ledger goes in one batch. A domain's service
    calls this for the rows a checked ledger brings; nothing else should."""
    records = []
    for record, fields in rows:
        if record is None:
            record = model(**(created or {}))
        for name, value in fields.items():
            setattr(record, name, value)
        session.add(record)
        records.append(record)
    return records


def submitted_before(
    session: Session, model: type[Record], submission_key: str | None
) -> Record | None:
    """The row the same form made when it was sent before (a double click, a retry on a slow
    line), found by the form's one-time key; None without a key."""
    if not submission_key:
        return None
    column = model.submission_key  # type: ignore[attr-defined]
    return session.exec(select(model).where(column == submission_key)).first()


def pk(row: Any) -> int:
    """The primary key of a flushed row (SQLModel types it as optional until then)."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has not been flushed")
    return int(row.id)


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use psycopg 3 for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        # A file's pool is sized like PostgreSQL's (the in-flight limit counts on it); an
        # in-memory database has one connection per thread and no pool to size.
        pool = {} if sa.make_url(url).database in (None, "", ":memory:") else _pool_size()
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS},
            **pool,
        )
        _configure_sqlite(engine)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, **_pool_size())


def _pool_size() -> dict[str, int]:
    settings = get_settings()
    return {"pool_size": settings.db_pool_size, "max_overflow": settings.db_max_overflow}


def _configure_sqlite(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so that BEGIN IMMEDIATE below is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "foreign_keys = ON",
            "journal_mode = WAL",
            "synchronous = NORMAL",
            f"busy_timeout = {SQLITE_BUSY_SECONDS * 1000}",
            "secure_delete = ON",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # Writers take the write lock up front: a deferred transaction that later writes
        # fails at once with SQLITE_BUSY when another writer got in first, instead of
        # waiting for the busy timeout. Readers begin deferred so they block nobody (WAL).
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        if mode is not None:
            connection.exec_driver_sql(f"BEGIN {mode}")


def database_busy(exc: BaseException) -> bool:
    """Whether `exc` is the database giving up a wait for a lock (SQLite's "database is
    locked", a PostgreSQL lock or serialization conflict): the request may pass if sent again in
    a moment, so it is told so (503), and is no server error."""
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    if getattr(exc.orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    name = getattr(exc.orig, "sqlite_errorname", "")  # SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, …
    return isinstance(name, str) and name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


def reading(engine: Engine) -> Engine:
    """The engine for a request that only reads (GET): on SQLite its transactions begin
    deferred, so they take no write lock."""
    return engine.execution_options(sqlite_begin="DEFERRED")


@lru_cache
def get_read_engine() -> Engine:
    """Where the heavy reads go (metrics, dashboards): a standby when LIAISON_READ_DATABASE_URL
    names one, so they take no load off the primary's writers; else the primary."""
    url = get_settings().read_database_url
    return reading(make_engine(url) if url else get_engine())


def get_session(request: Request) -> Iterator[Session]:
    """The request's session: read-only requests read, the others write in one transaction."""
    engine = get_engine()
    if request.method in ("GET", "HEAD"):
        engine = reading(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_read_session() -> Iterator[Session]:
    """A session on the read engine, for routes that only read and may lag the primary by the
    standby's replay delay (a fraction of a second under streaming replication)."""
    with Session(get_read_engine(), expire_on_commit=False) as session:
        yield session


ReadSessionDep = Annotated[Session, Depends(get_read_session)]


@dataclass
class Page:
    """One page of a list, with what the pagination links need."""

    items: list[Any]
    total: int
    number: int
    size: int


def paginate(session: Session, query: Any, *, page: int, size: int = 50) -> Page:
    """Rows of `query` for page `page` (from 1), and how many match in all."""
    number = max(page, 1)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    items = list(session.exec(query.offset((number - 1) * size).limit(size)).all())
    return Page(items=items, total=total, number=number, size=size)


def alembic_config(url: str | None = None) -> "Config":
    """Alembic's configuration, independent of the working directory; it migrates through the
    owner's connection when one is set (LIAISON_DATABASE_OWNER_URL)."""
    root = Path(__file__).resolve().parent.parent
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    config.attributes["database_url"] = normalise_url(url or get_settings().migration_url)
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def database_problems(settings: Settings) -> list[Problem]:
    """What the database connections, as this code opens them, would lack. Foreign keys are a
    per-connection pragma on SQLite, so an in-memory database opened the same way tells."""
    if not normalise_url(settings.database_url).startswith("sqlite"):
        return []
    engine = make_engine("sqlite://")
    try:
        with engine.connect() as conn:
            on = conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
    finally:
        engine.dispose()
    if on == 1:
        return []
    return [
        Problem(
            "LIAISON_DATABASE_URL",
            "SQLite 连接未开启外键约束（PRAGMA foreign_keys），可写入指向不存在记录的数据",
            "检查 liaison/db.py 中的 SQLite 连接设置，或改用 PostgreSQL",
        )
    ]
