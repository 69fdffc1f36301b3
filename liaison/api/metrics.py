"""GET /api/v1/metrics: the business-environment figures, the same JSON as
`liaison metrics --json` (PRODUCT.md, Contracts 3)."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from liaison.api.common import ErrorOut
from liaison.auth.deps import ApiUser, SettingsDep
from liaison.db import ReadSessionDep
from liaison.listing import Day
from liaison.metrics import cache, service

router = APIRouter(prefix="/api/v1", tags=["api"])


class PeriodOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
    station: str | None


class ProjectsOut(BaseModel):
    active: int
    with_officer: int
    coverage_rate: float | None
    visits: int
    overdue_visits: int


class HazardsOut(BaseModel):
    found: int
    closed: int
    open: int
    overdue: int
    rectification_rate: float | None


class HazardsByOut(HazardsOut):
    by_level: dict[str, int]
    by_category: dict[str, int]


class DisputesOut(BaseModel):
    received: int
    resolved: int
    resolution_rate: float | None
    by_type: dict[str, int]


class RecoveriesOut(BaseModel):
    total_fen: int
    total_display: str
    count: int
    by_source: dict[str, int]


class RequestsOut(BaseModel):
    received: int
    closed: int
    closure_rate: float | None
    responded_in_sla_rate: float | None
    mean_hours_to_response: float | None
    mean_hours_to_close: float | None
    satisfaction_rate: float | None


class StationRowOut(BaseModel):
    code: str
    name: str
    projects: dict[str, int]
    hazards: dict[str, int]
    disputes: dict[str, int]
    recoveries: dict[str, int]
    requests: dict[str, int]


class MonthOut(BaseModel):
    month: str
    hazards_found: int
    disputes_received: int
    recoveries_fen: int
    requests_received: int


class SectionsOut(BaseModel):
    hazards: HazardsByOut
    areas: HazardsOut
    disputes: DisputesOut
    recoveries: RecoveriesOut
    requests: RequestsOut


class MetricsOut(SectionsOut):
    period: PeriodOut
    projects: ProjectsOut
    by_station: list[StationRowOut]
    by_month: list[MonthOut]
    previous_year: SectionsOut


@router.get(
    "/metrics",
    response_model=MetricsOut,
    response_model_by_alias=True,
    summary="营商环境指标",
    responses={
        403: {"model": ErrorOut, "description": "无权查看这个单位"},
        404: {"model": ErrorOut, "description": "没有这个单位"},
    },
)
def metrics(
    session: ReadSessionDep,
    settings: SettingsDep,
    principal: ApiUser,
    start: Annotated[Day, Query(alias="from", description="起始日期（含）")],
    end: Annotated[Day, Query(alias="to", description="截止日期（含）")],
    station: Annotated[str, Query(max_length=32, description="单位编码，不填为全区")] = "",
) -> Any:
    """Leaders and admins: the district or any station; a chief: their own station only."""
    if end < start:
        raise RequestValidationError(
            [{"loc": ("query", "to"), "msg": "截止日期不能早于起始日期", "type": "value_error"}]
        )
    try:
        chosen = service.station_for(session, principal.role, principal.scope.station_id, station)
    except service.MetricsDenied:
        raise HTTPException(status_code=403) from None
    except LookupError:
        raise HTTPException(status_code=404, detail="没有这个单位") from None
    return cache.compute(
        session, start, end, chosen, visit_interval_days=settings.visit_interval_days
    )
