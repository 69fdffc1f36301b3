"""What every `liaison` command shares: failing with a message, and a session acting as "cli"."""

from typing import NoReturn

import typer
from sqlmodel import Session

from liaison.audit.service import set_actor
from liaison.db import get_engine


def fail(message: str) -> NoReturn:
    typer.echo(f"错误：{message}", err=True)
    raise typer.Exit(code=1)


def cli_session() -> Session:
    session = Session(get_engine(), expire_on_commit=False)
    set_actor(session, user_id=None, name="cli")
    return session
