"""The business-environment figures of PRODUCT.md ("Metrics"; the JSON of Contracts 3) for a
period and optionally a station, aggregated in SQL: each domain is one GROUP BY over station and
its breakdown, from which the district, the station and every by_station row are summed."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from liaison.auth.roles import Role
from liaison.clock import LOCAL_TZ, local, now
from liaison.desk.models import RequestStatus, Satisfaction, ServiceRequest
from liaison.disputes.models import Dispute, DisputeStatus, DisputeType
from liaison.hazards.models import Hazard, HazardCategory, HazardLevel, HazardStatus
from liaison.metrics.sql import date_month, hours_between, timestamp_month
from liaison.money import wan
from liaison.org.models import Officer, Station
from liaison.projects.models import Project, Visit
from liaison.projects.queries import current_terms, last_visit_date, overdue_clause
from liaison.recoveries.models import Recovery, RecoverySource

AREA = HazardCategory.COMPLEX_AREA.value
HAZARD_CATEGORIES = [c.value for c in HazardCategory if c != HazardCategory.COMPLEX_AREA]


@dataclass(frozen=True)
class Period:
    """[start, end], days in Asia/Shanghai, both included; overdue is judged at `judged`, the
    earlier of the end of `end` and now."""

    start: date
    end: date
    at: datetime  # now

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time(), LOCAL_TZ)

    @property
    def until(self) -> datetime:
        """The first instant after the period."""
        return datetime.combine(self.end + timedelta(days=1), time(), LOCAL_TZ)

    @property
    def judged(self) -> date:
        """The day overdue is judged on (the earlier of `end` and today): what is not closed
        by then, with a deadline before it, is overdue."""
        return min(self.end, local(self.at).date())

    def year_earlier(self) -> "Period":
        return Period(_year_before(self.start), _year_before(self.end), self.at)

    def months(self) -> list[str]:
        months, day = [], self.start.replace(day=1)
        while day <= self.end:
            months.append(f"{day:%Y-%m}")
            day = (day + timedelta(days=32)).replace(day=1)
        return months


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def rate(part: int, whole: int) -> float | None:
    """A share, or None (never 0, never an error) when there is nothing to share."""
    return part / whole if whole else None


def _total(rows: Iterable[Any], field: str) -> int:
    return int(sum(getattr(r, field) or 0 for r in rows))


def _station_clause(column: Any, station_id: int | None) -> sa.ColumnElement[bool]:
    return sa.true() if station_id is None else column == station_id


# ---- what each figure counts: conditions shared by the aggregates and the drill-down ------


def hazard_conditions(p: Period) -> dict[str, sa.ColumnElement[bool]]:
    """Of the hazards found in the period: closed by `end`, open then, overdue when judged."""
    closed = sa.and_(
        col(Hazard.status) == HazardStatus.CLOSED.value, col(Hazard.closed_on) <= p.end
    )
    open_when_judged = sa.or_(col(Hazard.closed_on).is_(None), col(Hazard.closed_on) > p.judged)
    return {
        "found": sa.true(),
        "closed": closed,
        "open": sa.not_(closed),
        "overdue": sa.and_(open_when_judged, col(Hazard.deadline) < p.judged),
    }


def dispute_conditions(p: Period) -> dict[str, sa.ColumnElement[bool]]:
    resolved = sa.and_(
        col(Dispute.status) == DisputeStatus.RESOLVED.value, col(Dispute.closed_on) <= p.end
    )
    return {"received": sa.true(), "resolved": resolved}


def request_conditions(p: Period) -> dict[str, sa.ColumnElement[bool]]:
    r = ServiceRequest
    closed = sa.and_(col(r.status) == RequestStatus.CLOSED.value, col(r.closed_at) < p.until)
    return {
        "received": sa.true(),
        "closed": closed,
        "open": sa.not_(closed),
        "in_sla": col(r.first_response_at) <= col(r.respond_by),
        "answered": col(r.first_response_at).is_not(None),
        "rated": col(r.satisfaction).is_not(None),
        "satisfied": col(r.satisfaction).in_([Satisfaction.SATISFIED, Satisfaction.FAIRLY]),
    }


def dated_by(model: Any) -> Any:
    """The column that dates a record for the figures: found, received or recovered."""
    return col(
        {
            Hazard: Hazard.found_on,
            Dispute: Dispute.received_on,
            Recovery: Recovery.recovered_on,
            ServiceRequest: ServiceRequest.received_at,
        }[model]
    )


def in_period(model: Any, p: Period) -> sa.ColumnElement[bool]:
    """What puts a record in the period: the day it was found, received or recovered."""
    if model is ServiceRequest:
        return sa.and_(col(model.received_at) >= p.since, col(model.received_at) < p.until)
    return dated_by(model).between(p.start, p.end)


def _counts(conditions: dict[str, sa.ColumnElement[bool]]) -> list[Any]:
    return [func.count(sa.case((c, 1))).label(name) for name, c in conditions.items()]


# ---- the figures in SQL: per domain, one GROUP BY per shape of the answer ---------------
#
# By station (a row per station: the district, a station and by_station are sums of these), by
# kind (level, category, type, source: a handful of rows) and by month: each a range scan of
# the period's rows on its date index, each answer small whatever the data's size.


def _rows(session: Session, query: Any) -> list[Any]:
    return list(session.execute(query).all())


@dataclass
class _Data:
    hazards: list[Any]  # station_id, area (1/0), found, closed, open, overdue
    hazard_kinds: list[Any]  # category, level, found
    disputes: list[Any]  # station_id, received, resolved
    dispute_types: list[Any]  # type, received
    recoveries: list[Any]  # station_id, total_fen, count
    recovery_sources: list[Any]  # source, total_fen
    requests: list[Any]  # station_id, received, closed, in_sla, answered, …, hours
    months: dict[str, dict[str, int]]  # series → month → value


def _gather(session: Session, p: Period, station_id: int | None, months: bool) -> _Data:
    where = _station_clause(Project.station_id, station_id)
    hazard = (
        sa.select()
        .select_from(Hazard)
        .join(Project, col(Project.id) == Hazard.project_id)
        .where(in_period(Hazard, p), where)
    )
    area = sa.case((col(Hazard.category) == AREA, 1), else_=0).label("area")
    dispute = (
        sa.select()
        .select_from(Dispute)
        .join(Project, col(Project.id) == Dispute.project_id)
        .where(in_period(Dispute, p), where)
    )
    recovery = (
        sa.select()
        .select_from(Recovery)
        .join(Project, col(Project.id) == Recovery.project_id)
        .where(in_period(Recovery, p), where)
    )
    r = ServiceRequest
    request = (
        sa.select()
        .select_from(r)
        .outerjoin(Project, col(Project.id) == r.project_id)
        .where(in_period(r, p), where)
    )
    dialect = session.get_bind().dialect
    asked = request_conditions(p)
    station = col(Project.station_id)
    fen = func.coalesce(func.sum(Recovery.amount_fen), 0)
    data = _Data(
        hazards=_rows(
            session,
            hazard.add_columns(station, area, *_counts(hazard_conditions(p))).group_by(
                station, area
            ),
        ),
        hazard_kinds=_rows(
            session,
            hazard.add_columns(col(Hazard.category), col(Hazard.level), func.count())
            .where(col(Hazard.category) != AREA)
            .group_by(col(Hazard.category), col(Hazard.level)),
        ),
        disputes=_rows(
            session,
            dispute.add_columns(station, *_counts(dispute_conditions(p))).group_by(station),
        ),
        dispute_types=_rows(
            session, dispute.add_columns(col(Dispute.type), func.count()).group_by(Dispute.type)
        ),
        recoveries=_rows(
            session,
            recovery.add_columns(
                station, fen.label("total_fen"), func.count().label("count")
            ).group_by(station),
        ),
        recovery_sources=_rows(
            session, recovery.add_columns(col(Recovery.source), fen).group_by(Recovery.source)
        ),
        requests=_rows(
            session,
            request.add_columns(
                station,
                *_counts(asked),
                func.sum(
                    sa.case(
                        (
                            asked["answered"],
                            hours_between(r.received_at, r.first_response_at, dialect),
                        )
                    )
                ).label("response_hours"),
                func.sum(
                    sa.case((asked["closed"], hours_between(r.received_at, r.closed_at, dialect)))
                ).label("close_hours"),
            ).group_by(station),
        ),
        months={},
    )
    if months:
        for key, query, month in (
            (
                "hazards_found",
                hazard.where(col(Hazard.category) != AREA),
                date_month(Hazard.found_on),
            ),
            ("disputes_received", dispute, date_month(Dispute.received_on)),
            ("recoveries_fen", recovery, date_month(Recovery.recovered_on)),
            ("requests_received", request, timestamp_month(r.received_at)),
        ):
            value = fen if key == "recoveries_fen" else func.count()
            rows = _rows(session, query.add_columns(month, value).group_by(month))
            data.months[key] = {m: int(v or 0) for m, v in rows}
    return data


def _projects(session: Session, p: Period, station_id: int | None, interval_days: int) -> list[Any]:
    """As the projects stand now: active, with an officer, overdue for a visit."""
    term = current_terms()
    today = local(p.at).date()
    overdue = overdue_clause(term, last_visit_date(), today, interval_days)
    return list(
        session.execute(
            sa.select(
                col(Project.station_id),
                func.count().label("active"),
                func.count(term.c.officer_id).label("with_officer"),
                func.count(sa.case((overdue, 1))).label("overdue_visits"),
            )
            .outerjoin(term, term.c.project_id == Project.id)
            .where(col(Project.archived_at).is_(None))
            .where(_station_clause(Project.station_id, station_id))
            .group_by(col(Project.station_id))
        ).all()
    )


def _visits(session: Session, p: Period, station_id: int | None) -> int:
    return session.execute(
        sa.select(func.count())
        .select_from(Visit)
        .join(Project, col(Project.id) == Visit.project_id)
        .where(col(Visit.visit_date).between(p.start, p.end))
        .where(_station_clause(Project.station_id, station_id))
    ).scalar_one()


def by_officer(session: Session, p: Period, station_id: int | None) -> list[dict[str, Any]]:
    """Per officer (of the station, or all): hazards found, disputes received as handler,
    fen recovered, requests received for them; four GROUP BYs."""
    where = _station_clause(Project.station_id, station_id)
    figures: dict[int, dict[str, int]] = defaultdict(
        lambda: {"hazards": 0, "disputes": 0, "recovered_fen": 0, "requests": 0}
    )
    for key, officer, model, value in (
        ("hazards", Hazard.found_by_id, Hazard, func.count()),
        ("disputes", Dispute.handler_id, Dispute, func.count()),
        ("recovered_fen", Recovery.officer_id, Recovery, func.sum(Recovery.amount_fen)),
        ("requests", ServiceRequest.officer_id, ServiceRequest, func.count()),
    ):
        rows = session.execute(
            sa.select(col(officer), value)
            .join(Project, col(Project.id) == model.project_id)
            .where(in_period(model, p), where, col(officer).is_not(None))
            .group_by(col(officer))
        ).all()
        for officer_id, n in rows:
            figures[officer_id][key] = int(n or 0)
    names = session.exec(
        select(Officer.id, Officer.name, Officer.badge_no).where(col(Officer.id).in_(figures))
    ).all()
    return sorted(
        ({"id": i, "name": n, "badge_no": b, **figures[i or 0]} for i, n, b in names),
        key=lambda row: (-row["hazards"] - row["disputes"] - row["requests"], row["badge_no"]),
    )


# ---- assembling the JSON --------------------------------------------------------------


def _hazard_section(rows: list[Any]) -> dict[str, Any]:
    found, closed = _total(rows, "found"), _total(rows, "closed")
    return {
        "found": found,
        "closed": closed,
        "open": found - closed,
        "overdue": _total(rows, "overdue"),
        "rectification_rate": rate(closed, found),
    }


def _hazards(d: _Data) -> dict[str, Any]:
    """Hazards outside complex areas, with every level and category present even at zero."""
    by_level = {level.value: 0 for level in HazardLevel}
    by_category = dict.fromkeys(HAZARD_CATEGORIES, 0)
    for category, level, n in d.hazard_kinds:
        by_level[level] += n
        by_category[category] += n
    return {
        **_hazard_section([h for h in d.hazards if not h.area]),
        "by_level": by_level,
        "by_category": by_category,
    }


def _disputes(d: _Data) -> dict[str, Any]:
    by_type = {kind.value: 0 for kind in DisputeType}
    by_type.update({kind: n for kind, n in d.dispute_types})
    received, resolved = _total(d.disputes, "received"), _total(d.disputes, "resolved")
    return {
        "received": received,
        "resolved": resolved,
        "resolution_rate": rate(resolved, received),
        "by_type": by_type,
    }


def _recoveries(d: _Data) -> dict[str, Any]:
    by_source = {source.value: 0 for source in RecoverySource}
    by_source.update({source: int(fen) for source, fen in d.recovery_sources})
    total_fen = _total(d.recoveries, "total_fen")
    return {
        "total_fen": total_fen,
        "total_display": wan(total_fen),
        "count": _total(d.recoveries, "count"),
        "by_source": by_source,
    }


def _requests(d: _Data) -> dict[str, Any]:
    """Rates and mean hours; a mean over no answered or closed request is None, not zero."""
    q = d.requests
    received, closed, answered = (_total(q, k) for k in ("received", "closed", "answered"))
    response_hours = sum(float(row.response_hours or 0) for row in q)
    close_hours = sum(float(row.close_hours or 0) for row in q)
    return {
        "received": received,
        "closed": closed,
        "closure_rate": rate(closed, received),
        "responded_in_sla_rate": rate(_total(q, "in_sla"), received),
        "mean_hours_to_response": response_hours / answered if answered else None,
        "mean_hours_to_close": close_hours / closed if closed else None,
        "satisfaction_rate": rate(_total(q, "satisfied"), _total(q, "rated")),
    }


def _sections(d: _Data) -> dict[str, Any]:
    """hazards, areas, disputes, recoveries and requests: the sections 同比 repeats."""
    return {
        "hazards": _hazards(d),
        "areas": _hazard_section([h for h in d.hazards if h.area]),
        "disputes": _disputes(d),
        "recoveries": _recoveries(d),
        "requests": _requests(d),
    }


def _by_station(stations: Iterable[Station], d: _Data, projects: list[Any]) -> list[dict[str, Any]]:
    """A row per station, from the per-station groups (a request without a project is in
    none)."""
    rows: dict[int | None, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    for h in d.hazards:
        if not h.area:
            rows[h.station_id]["hazards_found"] += h.found
            rows[h.station_id]["hazards_closed"] += h.closed
    for prefix, group, fields in (
        ("disputes", d.disputes, ("received", "resolved")),
        ("recoveries", d.recoveries, ("total_fen",)),
        ("requests", d.requests, ("received", "closed")),
        ("projects", projects, ("active", "with_officer")),
    ):
        for row in group:
            for field in fields:
                rows[row.station_id][f"{prefix}_{field}"] += int(getattr(row, field) or 0)
    result = []
    for s in stations:
        f = rows.get(s.id, {})
        result.append(
            {
                "code": s.code,
                "name": s.name,
                "projects": {k: f.get(f"projects_{k}", 0) for k in ("active", "with_officer")},
                "hazards": {k: f.get(f"hazards_{k}", 0) for k in ("found", "closed")},
                "disputes": {k: f.get(f"disputes_{k}", 0) for k in ("received", "resolved")},
                "recoveries": {"total_fen": f.get("recoveries_total_fen", 0)},
                "requests": {k: f.get(f"requests_{k}", 0) for k in ("received", "closed")},
            }
        )
    return result


def compute(
    session: Session,
    start: date,
    end: date,
    station: Station | None = None,
    *,
    visit_interval_days: int = 30,
    at: datetime | None = None,
) -> dict[str, Any]:
    """The metrics JSON of PRODUCT.md for [start, end], the district or one station."""
    p = Period(start, end, at or now())
    station_id = station.id if station else None
    data = _gather(session, p, station_id, months=True)
    projects = _projects(session, p, station_id, visit_interval_days)
    active, with_officer = _total(projects, "active"), _total(projects, "with_officer")
    stations = session.exec(
        select(Station).where(_station_clause(Station.id, station_id)).order_by(col(Station.code))
    ).all()
    by_month = [
        {"month": m, **{k: v.get(m, 0) for k, v in data.months.items()}} for m in p.months()
    ]
    return {
        "period": {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "station": station.code if station else None,
        },
        "projects": {
            "active": active,
            "with_officer": with_officer,
            "coverage_rate": rate(with_officer, active),
            "visits": _visits(session, p, station_id),
            "overdue_visits": _total(projects, "overdue_visits"),
        },
        **_sections(data),
        "by_station": _by_station(stations, data, projects),
        "by_month": by_month,
        "previous_year": _sections(_gather(session, p.year_earlier(), station_id, months=False)),
    }


class MetricsDenied(PermissionError):
    """The login may not read the metrics asked for."""


def station_for(session: Session, role: str, scope_station_id: int | None, code: str) -> Any:
    """The station a login may read the metrics of: leaders and admins any (or the district),
    a chief only their own (the district is refused). None means the district."""
    if role not in (Role.LEADER, Role.ADMIN, Role.CHIEF):
        raise MetricsDenied
    station = None
    if code:
        station = session.exec(select(Station).where(Station.code == code)).first()
        if station is None:
            raise LookupError(code)
    if role == Role.CHIEF:
        if station is None:
            station = session.get(Station, scope_station_id or 0)
        if station is None or station.id != scope_station_id:
            raise MetricsDenied
    return station
