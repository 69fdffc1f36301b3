"""What every `liaison` command shares: failing with a message, and a session acting as "cli"."""

from typing import NoReturn

import typer
from sqlmodel import Session

from liaison.audit.service import set_actor
from liaison.config import get_settings
from liaison.db import get_engine, make_engine


def fail(message: str) -> NoReturn:
    typer.echo(f"错误：{message}", err=True)
    raise typer.Exit(code=1)


def cli_session(*, as_owner: bool = False) -> Session:
    """`as_owner`: through LIAISON_DATABASE_OWNER_URL when set, for what only the tables' owner
    may do (the audit purge lifts the log's guard); the process ends with the command."""
    owner_url = get_settings().database_owner_url if as_owner else ""
    session = Session(make_engine(owner_url) if owner_url else get_engine(), expire_on_commit=False)
    set_actor(session, user_id=None, name="cli")
    return session
