"""Stations, officer records and enterprises: the only module that writes their tables."""

from sqlmodel import Session, select

from liaison.org.models import Enterprise, Officer, Station
from liaison.org.uscc import normalise_uscc, uscc_error


class OrgError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def station_by_code(session: Session, code: str) -> Station | None:
    return session.exec(select(Station).where(Station.code == code)).first()


def save_station(
    session: Session, station: Station, *, code: str, name: str, active: bool
) -> Station:
    clash = station_by_code(session, code)
    if clash is not None and clash.id != station.id:
        raise OrgError("单位编码已存在", "code")
    station.code, station.name, station.active = code, name, active
    session.add(station)
    session.flush()
    return station


def officer_by_badge(session: Session, badge_no: str) -> Officer | None:
    return session.exec(select(Officer).where(Officer.badge_no == badge_no)).first()


def save_officer(
    session: Session,
    officer: Officer,
    *,
    badge_no: str,
    name: str,
    phone: str | None,
    station_code: str,
    active: bool = True,
) -> Officer:
    clash = officer_by_badge(session, badge_no)
    if clash is not None and clash.id != officer.id:
        raise OrgError("警号已存在", "badge_no")
    station = station_by_code(session, station_code)
    if station is None:
        raise OrgError(f"单位编码 {station_code} 不存在", "station_code")
    officer.badge_no, officer.name, officer.phone = badge_no, name, phone or None
    officer.station_id, officer.active = station.id, active  # type: ignore[assignment]
    session.add(officer)
    session.flush()
    return officer


def enterprise_by_uscc(session: Session, uscc: str) -> Enterprise | None:
    return session.exec(select(Enterprise).where(Enterprise.uscc == normalise_uscc(uscc))).first()


def create_enterprise(session: Session, *, uscc: str, name: str) -> Enterprise:
    code = normalise_uscc(uscc)
    if error := uscc_error(code):
        raise OrgError(error, "uscc")
    if enterprise_by_uscc(session, code) is not None:
        raise OrgError("该统一社会信用代码的企业已存在", "uscc")
    enterprise = Enterprise(uscc=code, name=name)
    session.add(enterprise)
    session.flush()
    return enterprise
