"""The security administrator's list of logins: its filters, as the browser sends them, and the
query they make."""

from typing import Any

from sqlmodel import select

from liaison.auth.models import User
from liaison.auth.roles import Role
from liaison.listing import ListFilter, searching


class UserFilter(ListFilter):
    q: str = ""
    role: str = ""
    active: str = ""  # "1" active, "0" deactivated, blank either


def users_matching(filters: UserFilter) -> Any:
    """The logins the filters name, by username."""
    query = searching(select(User), filters.q, User.username, User.display_name)
    if filters.role in Role.__members__.values():
        query = query.where(User.role == filters.role)
    if filters.active in ("1", "0"):
        query = query.where(User.active == (filters.active == "1"))
    return query.order_by(User.username)
