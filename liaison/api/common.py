"""What every /api/v1 call shares: offset paging with a bounded limit, the envelope, days as
YYYY-MM-DD (`liaison.listing`), and the errors the OpenAPI document lists."""

from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlmodel import func, select

from liaison.auth.deps import ApiUser
from liaison.db import SessionDep

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class ErrorOut(BaseModel):
    detail: str


# Any call may also answer these (the token's checks); `responses=` on a route adds its own.
API_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "缺少令牌或令牌无效"},
    429: {"model": ErrorOut, "description": "请求过于频繁（见 Retry-After）"},
    503: {"model": ErrorOut, "description": "系统繁忙（数据库正忙），请按 Retry-After 稍后重试"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "不存在，或令牌所属用户无权查看"}
}


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

    @classmethod
    def page(cls, items: list[T], total: int, paging: Paging) -> "ListOut[T]":
        """One page of `items` out of `total`, as `paging` asked for it."""
        return cls(total=total, limit=paging.limit, offset=paging.offset, items=items)


@dataclass
class ListCall:
    """What a list call works with: the session, the token's user and the page it asks for."""

    session: SessionDep
    principal: ApiUser
    page: Annotated[Paging, Depends(paging)]

    def rows(self, query: Any) -> list[Any]:
        """One page of the query's rows."""
        return list(self.session.exec(query.offset(self.page.offset).limit(self.page.limit)).all())

    def fetch(self, query: Any) -> tuple[list[Any], int]:
        """One page of the query's rows and how many match in all."""
        total = self.session.exec(select(func.count()).select_from(query.subquery())).one()
        return self.rows(query), total

    def answer(self, items: list[T], total: int) -> ListOut[T]:
        """The page of `items` out of `total`."""
        return ListOut.page(items, total, self.page)

    def records(self, query: Any, out: type[M]) -> ListOut[M]:
        """One page of the query's records (each row's first entity), as `out` shows them."""
        rows, total = self.fetch(query)
        return self.answer(
            [out.model_validate(row[0], from_attributes=True) for row in rows], total
        )


ListCallDep = Annotated[ListCall, Depends()]
