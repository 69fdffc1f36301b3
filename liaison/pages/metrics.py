"""The dashboard: leaders see the district or a station, a chief their own station; every
figure opens the records behind it; the figures print as a one-page monthly brief and export as
a workbook with the records."""

import io
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from openpyxl import Workbook
from sqlmodel import Session, col, select

from liaison import downloads, spreadsheet
from liaison.auth.deps import Principal, SettingsDep, require
from liaison.auth.roles import Role
from liaison.clock import FIRST_DAY, LAST_DAY, local, now
from liaison.config import Settings
from liaison.db import ReadSessionDep, SessionDep, paginate
from liaison.ledger import schema
from liaison.listing import PageNumber
from liaison.metrics import brief, cache, dashboard, records, service
from liaison.metrics.service import Period
from liaison.org.models import Station
from liaison.recoveries.models import Recovery
from liaison.web import render

_reader = require(Role.LEADER, Role.CHIEF)
router = APIRouter(dependencies=[Depends(_reader)])  # every page is a leader's or a chief's
ReaderDep = Annotated[Principal, Depends(_reader)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OFFICERS_SHOWN = 30  # the busiest; a province has thousands
STATION_COLUMNS = [
    "单位",
    "项目",
    "有项目警官",
    "隐患发现",
    "已整改",
    "纠纷受理",
    "调解成功",
    "挽回损失(元)",
    "诉求受理",
    "诉求办结",
]


class Choice:
    """The period and station a request asks for, as the login may see them."""

    def __init__(
        self,
        session: Session,
        principal: Principal,
        kind: str,
        start: date | None,
        end: date | None,
        station: str,
    ) -> None:
        today = local(now()).date()
        self.kind = kind if kind in dashboard.KINDS else "year"
        self.start, self.end = dashboard.choose_period(self.kind, start, end, today)
        try:
            self.station: Station | None = service.station_for(
                session, principal.role, principal.scope.station_id, station
            )
        except (service.MetricsDenied, LookupError):
            raise HTTPException(status_code=404) from None
        self.stations = (
            session.exec(select(Station).order_by(col(Station.code))).all()
            if principal.role == Role.LEADER
            else []
        )

    def params(self, **extra: Any) -> str:
        values = {
            "period": "custom",
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "station": self.station.code if self.station else "",
            **extra,
        }
        return urlencode({k: v for k, v in values.items() if v})


def _dates(request: Request) -> tuple[date | None, date | None]:
    """`from` and `to` from the query string (`from` is a Python keyword)."""
    found: list[date | None] = []
    for name in ("from", "to"):
        try:
            day = date.fromisoformat(request.query_params.get(name, ""))
        except ValueError:
            day = None
        found.append(day if day and FIRST_DAY <= day <= LAST_DAY else None)
    return found[0], found[1]


def choice(request: Request, session: ReadSessionDep, principal: ReaderDep) -> Choice:
    start, end = _dates(request)
    params = request.query_params
    return Choice(
        session, principal, params.get("period", "year"), start, end, params.get("station", "")
    )


ChoiceDep = Annotated[Choice, Depends(choice)]


def metrics(session: ReadSessionDep, settings: SettingsDep, c: ChoiceDep) -> dict[str, Any]:
    """The figures of the chosen period and station."""
    return cache.compute(
        session, c.start, c.end, c.station, visit_interval_days=settings.visit_interval_days
    )


MetricsDep = Annotated[dict[str, Any], Depends(metrics)]


def _shown(m: dict[str, Any], c: Choice, settings: Settings) -> dict[str, Any]:
    """What the dashboard and its printed brief both show."""
    return {
        "m": m,
        "c": c,
        "cards": dashboard.cards(m),
        "charts": dashboard.trend(m["by_month"]),
        "league": dashboard.league(m["by_station"], settings.metrics_league_min_cases),
    }


@router.get("/dashboard")
def dashboard_page(
    request: Request, session: ReadSessionDep, settings: SettingsDep, c: ChoiceDep, m: MetricsDep
) -> Response:
    p = Period(c.start, c.end, now())
    return render(
        request,
        "metrics/dashboard.html",
        {
            **_shown(m, c, settings),
            "kinds": dashboard.KINDS,
            "min_cases": settings.metrics_league_min_cases,
            "officers": cache.by_officer(session, p, c.station.id if c.station else None)[
                :OFFICERS_SHOWN
            ],
            "years": range(local(now()).year, local(now()).year - 4, -1),
        },
    )


@router.get("/dashboard/records")
def dashboard_records(
    request: Request,
    session: ReadSessionDep,
    c: ChoiceDep,
    figure: str = "hazards.found",
    page: PageNumber = 1,
) -> Response:
    """The records behind one figure, with the figure's own conditions."""
    chosen = records.figure(figure)
    filters = {k: request.query_params.get(k, "") for k in ("level", "category", "type", "source")}
    p = Period(c.start, c.end, now())
    query = records.query(figure, p, c.station.id if c.station else None, filters)
    if chosen is None or query is None:
        raise HTTPException(status_code=404)
    results = paginate(session, query, page=page)
    amounts = chosen.model is Recovery
    total_fen = (  # int: PostgreSQL sums a bigint as a numeric
        int(
            session.execute(
                sa.select(sa.func.coalesce(sa.func.sum(query.subquery().c.amount_fen), 0))
            ).scalar_one()
        )
        if amounts
        else None
    )
    return render(
        request,
        "metrics/records.html",
        {
            "figure": chosen,
            "amounts": amounts,
            "total_fen": total_fen,
            "c": c,
            "results": results,
            "filters": {k: v for k, v in filters.items() if v},
            "params": {k: v for k, v in request.query_params.items() if k != "page"},
        },
    )


@router.get("/dashboard/brief")
def dashboard_brief(
    request: Request,
    session: ReadSessionDep,
    settings: SettingsDep,
    c: ChoiceDep,
    m: MetricsDep,
) -> Response:
    """The brief for print, one A4 page: its title block, a summary written from the figures,
    the headline figures, each station with its 同比, and the trend."""
    printed = local(now())
    earlier = Period(c.start, c.end, printed).year_earlier()
    a_year_earlier = cache.compute(
        session,
        earlier.start,
        earlier.end,
        c.station,
        visit_interval_days=settings.visit_interval_days,
    )
    place = c.station.name if c.station else "全区"
    return render(
        request,
        "metrics/brief.html",
        {
            **_shown(m, c, settings),
            "printed": printed,
            "issue": brief.issue(c.end),
            "summary": brief.summary(m, place, brief.period_words(c.start, c.end, printed.date())),
            "stations": brief.stations(m, a_year_earlier) if c.station is None else [],
        },
    )


@router.get("/dashboard/export.xlsx")
def dashboard_export(
    session: ReadSessionDep, primary: SessionDep, c: ChoiceDep, m: MetricsDep
) -> Response:
    """The figures, then the records behind them (the ledger's own sheets), in one workbook.
    Read from the read engine; the export's audit event is written on the primary."""
    p = Period(c.start, c.end, now())
    station_id = c.station.id if c.station else None
    book = Workbook(write_only=True)
    sheet = book.create_sheet("指标")
    scope = c.station.name if c.station else "全区"
    sheet.append([f"营商环境指标 {c.start} 至 {c.end} {scope}"])
    sheet.append(["指标", "本期", "去年同期", "同比(%)"])
    for card in dashboard.cards(m):
        change = None if card.change is None else round(card.change, 1)
        label = f"{card.label}(元)" if card.unit == "fen" else card.label
        sheet.append(
            [
                label,
                spreadsheet.figure_cell(sheet, card.number, card.unit),
                spreadsheet.figure_cell(sheet, card.number_before, card.unit),
                change,
            ]
        )
    sheet.append([])
    sheet.append(STATION_COLUMNS)
    for row in m["by_station"]:
        # A station's name is an admin's text: written so that it never runs as a formula.
        values = [
            row["name"],
            row["projects"]["active"],
            row["projects"]["with_officer"],
            row["hazards"]["found"],
            row["hazards"]["closed"],
            row["disputes"]["received"],
            row["disputes"]["resolved"],
            spreadsheet.figure_cell(sheet, row["recoveries"]["total_fen"], "fen"),
            row["requests"]["received"],
            row["requests"]["closed"],
        ]
        sheet.append(spreadsheet.xlsx_row(sheet, values))
    for model, name in records.LEDGER_SHEETS:
        ids = records.ids_in_period(model, p, station_id)
        spec = schema.BY_NAME[name]
        # Phones masked, as in every list export: this workbook travels too.
        downloads.append_sheet(book, spec, downloads.masked(spec, spec.rows(session, ids)))
    out = io.BytesIO()
    book.save(out)
    filename = f"营商环境指标-{c.start:%Y%m%d}-{c.end:%Y%m%d}.xlsx"
    downloads.record_export(primary, "DashboardWorkbook", filename)
    return Response(
        out.getvalue(),
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )
