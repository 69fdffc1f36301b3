"""Who is told of each record of a scan, looked up for all of them at once: a fixed number of
queries (absences, officers on duty, their logins, the chiefs, the leaders, the duty robots),
whatever the number of records."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlmodel import Session, col, select

from liaison.auth.models import User
from liaison.auth.roles import Role
from liaison.notify import routing
from liaison.notify import service as notify_service
from liaison.notify.models import DutyRobot
from liaison.org.models import Officer
from liaison.reminders.deadlines import Route

Users = tuple[int, ...]


class Duty:
    """The people on duty `on` a day for the routes of a scan's records."""

    def __init__(self, session: Session, routes: Iterable[Route], on: date) -> None:
        routes = list(routes)
        named = {r.officer_id for r in routes if r.officer_id is not None}
        projects = {r.project_id for r in routes if r.project_id is not None}
        self._away = routing.unavailable(session, named, on)
        self._on_duty = routing.duty_officers(session, projects, on)
        on_duty = {o for o in self._on_duty.values() if o is not None}
        self._users = routing.users_of(session, named | on_duty)
        self._chiefs = _chiefs_by_station(session)
        self.leaders: Users = tuple(sorted(routing.leaders(session)))
        self._robots = notify_service.robots(session)

    def officer(self, route: Route) -> int | None:
        """The officer the record is routed to, unless away; else its project's on duty."""
        if route.officer_id is not None and route.officer_id not in self._away:
            return route.officer_id
        return self._on_duty.get(route.project_id) if route.project_id is not None else None

    def on_duty(self, route: Route) -> Users:
        """The on-duty officer's login; without one, a record of no project goes to its
        station's chiefs, and the rest to the duty desk (the leaders)."""
        officer = self.officer(route)
        user = self._users.get(officer) if officer is not None else None
        if user is not None:
            return (user,)
        if route.project_id is None and route.station_id is not None:
            return self.chiefs(route.station_id) or self.leaders
        return self.leaders

    def chiefs(self, station_id: int | None) -> Users:
        return self._chiefs.get(station_id, ()) if station_id is not None else ()

    def robot(self, station_id: int | None) -> DutyRobot | None:
        """The station's duty group robot; the bureau's (no station) for the duty desk."""
        return self._robots.get(station_id)


def _chiefs_by_station(session: Session) -> dict[int, Users]:
    """Every station's active chiefs at once (routing.chiefs asks for one station)."""
    rows = session.exec(
        select(Officer.station_id, User.id)
        .join(Officer, col(Officer.id) == User.officer_id)
        .where(User.role == Role.CHIEF.value, User.active)
    ).all()
    chiefs: dict[int, list[int]] = defaultdict(list)
    for station_id, user_id in rows:
        if user_id is not None:
            chiefs[station_id].append(user_id)
    return {station: tuple(sorted(users)) for station, users in chiefs.items()}


def officer_logins(session: Session) -> set[int]:
    """The active logins that are an officer's (officers and chiefs): who gets a digest."""
    rows = session.exec(select(User.id).where(col(User.officer_id).is_not(None), User.active))
    return {u for u in rows.all() if u is not None}
