"""Object-level access in one place: which stations', officers' and enterprises' records a login
reaches. Every route that loads a record by id goes through `get_visible` or `restrict`."""

from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from fastapi import HTTPException
from sqlmodel import Session

from liaison.auth.models import User
from liaison.auth.roles import Role
from liaison.org.models import Officer
from liaison.scope import Scope


class Scoped(Protocol):
    @classmethod
    def visible_to(cls, scope: Scope) -> sa.ColumnElement[bool]: ...


def scope_for(session: Session, user: User) -> Scope:
    role = Role(user.role)
    if role in (Role.LEADER, Role.ADMIN):
        return Scope(everything=True)
    if role in (Role.CHIEF, Role.OFFICER) and user.officer_id is not None:
        officer = session.get(Officer, user.officer_id)
        if officer is not None:
            return Scope(station_id=officer.station_id, officer_id=officer.id)
    if role == Role.ENTERPRISE and user.enterprise_id is not None:
        return Scope(enterprise_id=user.enterprise_id)
    return Scope()


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
