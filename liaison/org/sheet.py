"""The ledger's 派出所 and 民警 sheets: their columns, their rows for the export, the checks of a
file's rows and the save through liaison.org.service."""

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from liaison import sheets
from liaison.org import service
from liaison.org.models import Officer, Station
from liaison.org.schemas import OfficerIn, StationIn
from liaison.sheets import Checking, Column, Row, Rows, Sheet, Writing

STATION, OFFICER = "派出所", "民警"


def station_rows(session: Session, ids: Any = None) -> Rows:
    query = select(Station).order_by(col(Station.code))
    for station in sheets.stream(session, query, ids, Station.id):
        yield [station.code, station.name]


def check_stations(c: Checking) -> None:
    for row in c.rows[STATION]:
        sheets.diff(row, c.found(STATIONS, row), {"name": row.values["name"]})


def save_stations(w: Writing, rows: list[Row]) -> None:
    w.keep(STATIONS, rows, service.import_stations(w.session, w.changes(STATIONS, rows)))


STATION_COLUMNS = [
    sheets.column(StationIn, "code", sheets.code(), help="唯一编码，如 S01"),
    sheets.column(StationIn, "name"),
]
STATIONS = Sheet(
    STATION,
    "单位",
    STATION_COLUMNS,
    "code",
    Station,
    station_rows,
    check_stations,
    save_stations,
)


def officer_rows(session: Session, ids: Any = None) -> Rows:
    query = select(Officer, Station.code).join(Station, col(Station.id) == Officer.station_id)
    for officer, station in sheets.stream(
        session, query.order_by(col(Officer.badge_no)), ids, Officer.id
    ):
        yield [officer.badge_no, officer.name, station, officer.phone]


def _look_alikes(c: Checking, rows: list[Row]) -> dict[int, Officer]:
    """For each new officer row (by row number), the existing officer it may well be: one
    whose badge differs only by leading zeros (an office suite drops them from a badge saved as
    a number: 010001 comes back as 10001), or one with the same name and phone."""
    new = [r for r in rows if c.found(OFFICERS, r) is None and r.values.get("badge_no")]
    if not new:
        return {}
    stripped = {r.values["badge_no"].lstrip("0") for r in new}
    pairs = {(r.values["name"], r.values["phone"]) for r in new if r.values.get("phone")}
    query = select(Officer).where(
        sa.or_(
            func.ltrim(Officer.badge_no, "0").in_(stripped),
            sa.tuple_(col(Officer.name), col(Officer.phone)).in_(pairs) if pairs else sa.false(),
        )
    )
    existing = c.session.exec(query).all()
    by_badge = {o.badge_no.lstrip("0"): o for o in existing}
    by_person = {(o.name, o.phone): o for o in existing}
    found = {}
    for row in new:
        v = row.values
        twin = by_badge.get(v["badge_no"].lstrip("0")) or by_person.get((v["name"], v["phone"]))
        if twin is not None and twin.badge_no != v["badge_no"]:
            found[row.number] = twin
    return found


def check_officers(c: Checking) -> None:
    """An officer may move to another station only as the service lets them: its guards (an
    officer who holds projects stays) decide, as they do for the form. A new officer who looks
    like an existing one is refused, so that a badge an office suite changed does not add a
    second person and move the first one's projects to them without a word."""
    look_alikes = _look_alikes(c, c.rows[OFFICER])
    for row in c.rows[OFFICER]:
        if not c.need(OFFICERS, row, "station"):
            continue
        if (twin := look_alikes.get(row.number)) is not None:
            same_badge = twin.badge_no.lstrip("0") == row.values["badge_no"].lstrip("0")
            why = (
                f"与已有民警 {twin.badge_no}（{twin.name}）只差前导零：表格软件可能把警号当成数字"
                "去掉了开头的 0，请把警号列设为文本后重新填写"
                if same_badge
                else f"与已有民警 {twin.badge_no}（{twin.name}）姓名、手机号相同："
                "若是同一人请用原警号"
            )
            c.fail(OFFICERS, row, "badge_no", why)
            continue
        record = c.found(OFFICERS, row)
        station = c.referred(OFFICERS, row, "station")
        fields = {
            "name": row.values["name"],
            "phone": row.values["phone"] or "",
            "station_id": station.id if station else None,
            "_station": row.values["station"],
        }
        moving = record is not None and (station is None or record.station_id != station.id)
        if moving and (reason := service.leaving_refused(c.session, record)):
            c.fail(OFFICERS, row, "station", reason)
            continue
        sheets.diff(row, record, fields)


def save_officers(w: Writing, rows: list[Row]) -> None:
    changes = w.changes(OFFICERS, rows, station_id=w.id_of(STATION, "_station"))
    w.keep(OFFICERS, rows, service.import_officers(w.session, changes))


OFFICER_COLUMNS = [
    sheets.column(OfficerIn, "badge_no", sheets.code(), help="唯一，按文本填写"),
    sheets.column(OfficerIn, "name"),
    Column("单位编码", "station", sheets.code(), True, sheets.STATION_HELP, refers=(STATION,)),
    sheets.column(OfficerIn, "phone", sheets.mobile, help="11 位手机号，可不填"),
]
OFFICERS = Sheet(
    OFFICER,
    "民警",
    OFFICER_COLUMNS,
    "badge_no",
    Officer,
    officer_rows,
    check_officers,
    save_officers,
)
