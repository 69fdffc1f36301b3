"""GET /api/v1/requests: the desk's requests the user may see, with their service-level
times. Submitters' names, phones and the free text (which often carries both) stay out."""

from typing import Annotated

from fastapi import APIRouter, Query

from liaison.api.common import NOT_FOUND, ListCallDep, ListOut
from liaison.auth.deps import ApiUser, SettingsDep
from liaison.clock import now
from liaison.db import SessionDep
from liaison.desk.models import ServiceRequest
from liaison.desk.queries import RequestFilter, request_list_query
from liaison.desk.schemas import RequestOut
from liaison.scope import get_visible

router = APIRouter(prefix="/api/v1", tags=["api"])


@router.get("/requests", response_model=ListOut[RequestOut], summary="诉求列表（接诉即办）")
def list_requests(
    call: ListCallDep, settings: SettingsDep, filters: Annotated[RequestFilter, Query()]
) -> ListOut[RequestOut]:
    """The filters of the page `/requests`, and the same requests in the same order: open ones
    first by the deadline they wait for. Without `box`, every request the user may see."""
    return call.records(request_list_query(call.principal, filters, settings, now()), RequestOut)


@router.get(
    "/requests/{request_id}", response_model=RequestOut, summary="诉求", responses=NOT_FOUND
)
def get_request(session: SessionDep, principal: ApiUser, request_id: int) -> RequestOut:
    found = get_visible(session, ServiceRequest, request_id, principal.scope)
    return RequestOut.model_validate(found, from_attributes=True)
