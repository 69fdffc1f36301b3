"""What every /api/v1 list shares: offset paging with a bounded limit, and the envelope."""

from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlmodel import Session, func, select

T = TypeVar("T")


class Paging(BaseModel):
    limit: int = 50
    offset: int = 0


def paging(
    limit: Annotated[int, Query(ge=1, le=200, description="每页条数")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="跳过条数")] = 0,
) -> Paging:
    return Paging(limit=limit, offset=offset)


class ListOut(BaseModel, Generic[T]):
    total: int
    limit: int
    offset: int
    items: list[T]


def fetch(session: Session, query: Any, paging: Paging) -> tuple[list[Any], int]:
    """One page of rows and how many match in all."""
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = list(session.exec(query.offset(paging.offset).limit(paging.limit)).all())
    return rows, total
