"""Object-level access in one place: which stations', officers' and enterprises' records a login
reaches (`scope_for`). Every route that loads a record by id goes through `get_visible` or
`restrict`, which apply the scope and live in liaison/scope.py."""

from sqlmodel import Session

from liaison.auth.models import User
from liaison.auth.roles import Role
from liaison.org.models import Officer
from liaison.scope import Scope


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
