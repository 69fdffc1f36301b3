"""GET /api/v1/disputes and /api/v1/recoveries: cases and ledger entries the user may see.
Parties' personal data stays out of the API."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlmodel import col

from liaison.api.common import ListOut, Paging, fetch, paging
from liaison.auth.deps import ApiUser
from liaison.db import SessionDep
from liaison.disputes.queries import DisputeFilter, dispute_list_query
from liaison.disputes.schemas import DisputeOut
from liaison.recoveries.models import Recovery
from liaison.recoveries.queries import RecoveryFilter, ledger_query
from liaison.recoveries.schemas import RecoveryOut

router = APIRouter(prefix="/api/v1", tags=["api"])


@router.get("/disputes", response_model=ListOut[DisputeOut], summary="矛盾纠纷列表")
def list_disputes(
    session: SessionDep,
    principal: ApiUser,
    page: Annotated[Paging, Depends(paging)],
    filters: Annotated[DisputeFilter, Query()],
) -> ListOut[DisputeOut]:
    """The filters of the page `/disputes`, and the same cases in the same order."""
    rows, total = fetch(session, dispute_list_query(principal.scope, filters), page)
    items = [DisputeOut.model_validate(row[0], from_attributes=True) for row in rows]
    return ListOut.page(items, total, page)


@router.get("/recoveries", response_model=ListOut[RecoveryOut], summary="挽回损失台账")
def list_recoveries(
    session: SessionDep,
    principal: ApiUser,
    page: Annotated[Paging, Depends(paging)],
    filters: Annotated[RecoveryFilter, Query()],
) -> ListOut[RecoveryOut]:
    """The filters of the ledger page `/recoveries`; entries oldest first, reversals included."""
    query = ledger_query(principal.scope, filters)
    rows, total = fetch(session, query.order_by(col(Recovery.recovered_on), col(Recovery.id)), page)
    items = [RecoveryOut.model_validate(row[0], from_attributes=True) for row in rows]
    return ListOut.page(items, total, page)
