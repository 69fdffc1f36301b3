"""The part of the business data a login reaches, and the row filters and object checks that
apply it: a leaf module, so that the models' row filters (`visible_to`), every domain's queries
and auth/permissions.py (which works out a login's scope) can all name it without importing
each other."""

from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from fastapi import HTTPException
from sqlmodel import Session


@dataclass(frozen=True)
class Scope:
    """What part of the business data a login reaches. `everything` wins; otherwise a record
    is visible when it belongs to `station_id` (officers, chiefs) or `enterprise_id`
    (enterprise contacts). Leaders and admins reach everything; auditors no business data."""

    everything: bool = False
    station_id: int | None = None
    officer_id: int | None = None
    enterprise_id: int | None = None


class Scoped(Protocol):
    @classmethod
    def visible_to(cls, scope: Scope) -> sa.ColumnElement[bool]: ...


def visible(model: type[Scoped], scope: Scope) -> sa.ColumnElement[bool]:
    """A WHERE clause for the rows of `model` that `scope` reaches."""
    if scope.everything:
        return sa.true()
    return model.visible_to(scope)


M = TypeVar("M")


def restrict(query: Any, model: type[Scoped], scope: Scope) -> Any:
    return query.where(visible(model, scope))


def get_visible(session: Session, model: type[M], object_id: int, scope: Scope) -> M:
    """The record, or 404 when it does not exist or the scope does not reach it: the two are
    indistinguishable, so ids cannot be probed."""
    mapper = sa.inspect(model)
    query = sa.select(model).where(mapper.primary_key[0] == object_id)
    found: M | None = session.scalars(restrict(query, model, scope)).first()  # type: ignore[arg-type]
    if found is None:
        raise HTTPException(status_code=404)
    return found
