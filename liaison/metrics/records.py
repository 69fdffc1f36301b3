"""The records behind a figure, selected by the very conditions the figure counts with, so a
leader can check any number on the dashboard against the list under it."""

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from liaison.desk.models import ServiceRequest
from liaison.disputes.models import Dispute
from liaison.hazards.models import Hazard
from liaison.metrics import service
from liaison.metrics.service import AREA, Period
from liaison.org.models import Station
from liaison.projects.models import Project
from liaison.recoveries.models import Recovery


@dataclass(frozen=True)
class Figure:
    key: str  # e.g. "hazards.overdue"
    label: str
    model: Any
    url: str  # the record page, with {id}


LABELS: dict[str, tuple[str, Any, str]] = {
    "hazards": ("隐患", Hazard, "/hazards/{id}"),
    "areas": ("周边治安复杂区域", Hazard, "/hazards/{id}"),
    "disputes": ("矛盾纠纷", Dispute, "/disputes/{id}"),
    "recoveries": ("挽回损失", Recovery, "/recoveries/{id}"),
    "requests": ("诉求", ServiceRequest, "/requests/{id}"),
}
WORDS = {
    "found": "发现",
    "closed": "已整改（截至期末）",
    "open": "未整改（截至期末）",
    "overdue": "逾期",
    "received": "受理",
    "resolved": "调解成功（截至期末）",
    "count": "登记",
    "in_sla": "按时首次响应",
    "answered": "已响应",
    "rated": "已评价",
    "satisfied": "满意、基本满意",
}
# Breakdown filters a drill-down may add, per domain: column and the query parameter.
BREAKDOWNS = {
    "hazards": {"level": Hazard.level, "category": Hazard.category},
    "areas": {},
    "disputes": {"type": Dispute.type},
    "recoveries": {"source": Recovery.source},
    "requests": {},
}


def _conditions(domain: str, p: Period) -> dict[str, sa.ColumnElement[bool]]:
    if domain in ("hazards", "areas"):
        return service.hazard_conditions(p)
    if domain == "disputes":
        return service.dispute_conditions(p)
    if domain == "requests":
        return service.request_conditions(p)
    return {"count": sa.true()}


def figure(key: str) -> Figure | None:
    domain, _, name = key.partition(".")
    if domain not in LABELS or name not in WORDS:
        return None
    label, model, url = LABELS[domain]
    return Figure(key, f"{label}：{WORDS[name]}", model, url)


def query(
    key: str, p: Period, station_id: int | None, filters: dict[str, str] | None = None
) -> Any:
    """The records behind figure `key`, with their project and station, the latest by their
    date (found, received, recovered) first; None for an unknown figure."""
    domain, _, name = key.partition(".")
    conditions = _conditions(domain, p) if domain in LABELS else {}
    if name not in conditions:
        return None
    model = LABELS[domain][1]
    join = sa.join if model is not ServiceRequest else sa.outerjoin
    select = (
        sa.select(model, col(Project.code), col(Project.name), col(Station.name))
        .select_from(join(model, Project, col(Project.id) == model.project_id))
        .outerjoin(Station, col(Station.id) == Project.station_id)
        .where(service.in_period(model, p), conditions[name])
    )
    if domain == "hazards":
        select = select.where(col(Hazard.category) != AREA)
    elif domain == "areas":
        select = select.where(col(Hazard.category) == AREA)
    if station_id is not None:
        select = select.where(col(Project.station_id) == station_id)
    for param, column in BREAKDOWNS[domain].items():
        value = (filters or {}).get(param)
        if value:
            select = select.where(col(column) == value)
    return select.order_by(service.dated_by(model).desc(), col(model.id).desc())


# The ledger sheets a dashboard export carries: every record of the period behind its figures.
LEDGER_SHEETS = [
    (Hazard, "隐患"),
    (Dispute, "纠纷"),
    (Recovery, "挽回损失"),
    (ServiceRequest, "诉求"),
]


def ids_in_period(model: Any, p: Period, station_id: int | None) -> Any:
    """The ids of `model`'s records dated in the period (of the station's projects)."""
    join = sa.join if model is not ServiceRequest else sa.outerjoin
    query = (
        sa.select(model.id)
        .select_from(join(model, Project, col(Project.id) == model.project_id))
        .where(service.in_period(model, p))
    )
    return query if station_id is None else query.where(col(Project.station_id) == station_id)
