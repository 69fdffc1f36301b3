"""GET /api/v1/hazards: hazards (and, with areas=true, complex areas) the user may see."""

from typing import Annotated

from fastapi import APIRouter, Query

from liaison.api.common import ListCallDep, ListOut
from liaison.clock import today
from liaison.hazards import queries
from liaison.hazards.schemas import HazardOut
from liaison.pii import mask_numbers

router = APIRouter(prefix="/api/v1", tags=["api"])


@router.get("/hazards", response_model=ListOut[HazardOut], summary="隐患列表")
def list_hazards(
    call: ListCallDep, filters: Annotated[queries.HazardFilter, Query()]
) -> ListOut[HazardOut]:
    rows, total = call.fetch(
        queries.hazard_list_query(call.principal.scope, filters, today=today())
    )
    items = [
        HazardOut(
            id=r.hazard.id or 0,
            code=r.hazard.code,
            project_id=r.hazard.project_id,
            project=r.project_name,
            station=r.station_name,
            category=r.hazard.category,
            level=r.hazard.level,
            status=r.hazard.status,
            description=mask_numbers(r.hazard.description),  # numbers typed into it
            found_on=r.hazard.found_on,
            found_by=r.finder_name,
            deadline=r.hazard.deadline,
            closed_on=r.hazard.closed_on,
            overdue=r.overdue,
        )
        for r in queries.to_rows(rows)
    ]
    return call.answer(items, total)
