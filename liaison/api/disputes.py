"""GET /api/v1/disputes and /api/v1/recoveries: cases and ledger entries the user may see.
Parties' personal data stays out of the API."""

from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import col

from liaison.api.common import ListCallDep, ListOut
from liaison.disputes.queries import DisputeFilter, dispute_list_query
from liaison.disputes.schemas import DisputeOut
from liaison.recoveries.models import Recovery
from liaison.recoveries.queries import RecoveryFilter, ledger_query
from liaison.recoveries.schemas import RecoveryOut

router = APIRouter(prefix="/api/v1", tags=["api"])


@router.get("/disputes", response_model=ListOut[DisputeOut], summary="矛盾纠纷列表")
def list_disputes(
    call: ListCallDep, filters: Annotated[DisputeFilter, Query()]
) -> ListOut[DisputeOut]:
    """The filters of the page `/disputes`, and the same cases in the same order."""
    return call.records(dispute_list_query(call.principal.scope, filters), DisputeOut)


@router.get("/recoveries", response_model=ListOut[RecoveryOut], summary="挽回损失台账")
def list_recoveries(
    call: ListCallDep, filters: Annotated[RecoveryFilter, Query()]
) -> ListOut[RecoveryOut]:
    """The filters of the ledger page `/recoveries`; entries oldest first, reversals included."""
    query = ledger_query(call.principal.scope, filters)
    return call.records(query.order_by(col(Recovery.recovered_on), col(Recovery.id)), RecoveryOut)
