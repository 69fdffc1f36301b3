"""GET /api/v1/requests: the desk's requests the user may see, with their service-level
times. Submitters' names, phones and the free text (which often carries both) stay out."""

from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlmodel import col, select

from liaison.api.common import NOT_FOUND, ListOut, Paging, fetch, paging
from liaison.auth.deps import ApiUser
from liaison.clock import LOCAL_TZ
from liaison.db import SessionDep
from liaison.desk.models import ServiceRequest
from liaison.desk.schemas import RequestOut
from liaison.listing import OptionalDay, OptionalId, matching
from liaison.scope import get_visible, visible

router = APIRouter(prefix="/api/v1", tags=["api"])


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), LOCAL_TZ)


@router.get("/requests", response_model=ListOut[RequestOut], summary="诉求列表（接诉即办）")
def list_requests(
    session: SessionDep,
    principal: ApiUser,
    page: Annotated[Paging, Depends(paging)],
    status: str = "",
    type: str = "",
    channel: str = "",
    project: OptionalId = None,
    since: OptionalDay = None,
    until: OptionalDay = None,
) -> ListOut[RequestOut]:
    """`since` and `until` are days of receipt in Asia/Shanghai, both included."""
    query = select(ServiceRequest).where(visible(ServiceRequest, principal.scope))
    query = matching(
        query,
        (status, col(ServiceRequest.status)),
        (type, col(ServiceRequest.type)),
        (channel, col(ServiceRequest.channel)),
        (project, col(ServiceRequest.project_id)),
    )
    if since:
        query = query.where(col(ServiceRequest.received_at) >= _start_of(since))
    if until:
        query = query.where(col(ServiceRequest.received_at) < _start_of(until + timedelta(days=1)))
    rows, total = fetch(
        session,
        query.order_by(col(ServiceRequest.received_at).desc(), col(ServiceRequest.id).desc()),
        page,
    )
    items = [RequestOut.model_validate(r, from_attributes=True) for r in rows]
    return ListOut.page(items, total, page)


@router.get(
    "/requests/{request_id}", response_model=RequestOut, summary="诉求", responses=NOT_FOUND
)
def get_request(session: SessionDep, principal: ApiUser, request_id: int) -> RequestOut:
    found = get_visible(session, ServiceRequest, request_id, principal.scope)
    return RequestOut.model_validate(found, from_attributes=True)
