"""Choices for filters and forms: the stations and officers a login may pick from."""

from sqlmodel import Session, col, select

from liaison.org.models import Officer, Station
from liaison.scope import Scope, visible


def active_stations(session: Session, scope: Scope) -> list[Station]:
    query = select(Station).where(col(Station.active), visible(Station, scope))
    return list(session.exec(query.order_by(Station.code)).all())


def active_officers(session: Session, scope: Scope, station_id: int | None = None) -> list[Officer]:
    query = select(Officer).where(col(Officer.active), visible(Officer, scope))
    if station_id:
        query = query.where(col(Officer.station_id) == station_id)
    return list(session.exec(query.order_by(Officer.badge_no)).all())
