"""GET /api/v1/disputes and /api/v1/recoveries: cases and ledger entries the user may see.
Parties' personal data stays out of the API."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlmodel import col, select

from liaison.api.common import Day, ListOut, Paging, fetch, paging
from liaison.auth.deps import ApiUser
from liaison.auth.permissions import visible
from liaison.db import SessionDep
from liaison.disputes.models import Dispute
from liaison.recoveries.models import Recovery

router = APIRouter(prefix="/api/v1", tags=["api"])


class DisputeOut(BaseModel):
    id: int
    code: str
    project_id: int
    type: str
    status: str
    amount_fen: int | None
    received_on: date
    closed_on: date | None
    agreement_fen: int | None
    performance: str | None


@router.get("/disputes", response_model=ListOut[DisputeOut], summary="矛盾纠纷列表")
def list_disputes(
    session: SessionDep,
    principal: ApiUser,
    page: Annotated[Paging, Depends(paging)],
    status: str = "",
    type: str = "",
    project: int | None = None,
    since: Day | None = None,
    until: Day | None = None,
) -> ListOut[DisputeOut]:
    query = select(Dispute).where(visible(Dispute, principal.scope))
    for value, column in ((status, Dispute.status), (type, Dispute.type)):
        if value:
            query = query.where(col(column) == value)
    if project:
        query = query.where(col(Dispute.project_id) == project)
    if since:
        query = query.where(col(Dispute.received_on) >= since)
    if until:
        query = query.where(col(Dispute.received_on) <= until)
    rows, total = fetch(
        session, query.order_by(col(Dispute.received_on).desc(), col(Dispute.id).desc()), page
    )
    return ListOut(
        total=total,
        limit=page.limit,
        offset=page.offset,
        items=[DisputeOut.model_validate(d, from_attributes=True) for d in rows],
    )


class RecoveryOut(BaseModel):
    id: int
    code: str
    project_id: int
    amount_fen: int
    recovered_on: date
    source: str
    dispute_id: int | None
    hazard_id: int | None
    case_number: str
    officer_id: int
    reverses_id: int | None


@router.get("/recoveries", response_model=ListOut[RecoveryOut], summary="挽回损失台账")
def list_recoveries(
    session: SessionDep,
    principal: ApiUser,
    page: Annotated[Paging, Depends(paging)],
    source: str = "",
    project: int | None = None,
    since: Day | None = None,
    until: Day | None = None,
) -> ListOut[RecoveryOut]:
    query = select(Recovery).where(visible(Recovery, principal.scope))
    if source:
        query = query.where(col(Recovery.source) == source)
    if project:
        query = query.where(col(Recovery.project_id) == project)
    if since:
        query = query.where(col(Recovery.recovered_on) >= since)
    if until:
        query = query.where(col(Recovery.recovered_on) <= until)
    rows, total = fetch(session, query.order_by(col(Recovery.recovered_on), col(Recovery.id)), page)
    return ListOut(
        total=total,
        limit=page.limit,
        offset=page.offset,
        items=[RecoveryOut.model_validate(r, from_attributes=True) for r in rows],
    )
