"""Reveal (SECURITY.md Z4, P4): one masked phone or ID number, or one free text whose numbers
are masked (a request's content, a dispute's facts), shown whole, on request, to a role with the
pii.reveal permission and only on a record its scope reaches (another station's is 404, as
everywhere). Each reveal is an audit event naming the record and the field, never the number,
and the answer is never cached."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlmodel import Session

from liaison.audit.service import record_event
from liaison.auth.deps import Principal, require
from liaison.auth.roles import PII_REVEAL_ROLES
from liaison.db import SessionDep
from liaison.desk.models import RequestEvent, ServiceRequest
from liaison.disputes.models import Dispute, DisputeFollowUp, DisputeParty
from liaison.enterprises.models import EnterpriseContact
from liaison.hazards.models import Hazard, HazardEvent
from liaison.org.models import Officer
from liaison.projects.models import Project
from liaison.recoveries.models import Recovery
from liaison.scope import get_visible
from liaison.web import render

router = APIRouter()
RevealerDep = Annotated[Principal, Depends(require(*PII_REVEAL_ROLES))]

# What may be revealed: (kind in the URL, column) → the model, whose `visible_to` decides who
# reaches the record. Anything else is 404.
REVEALABLE: dict[tuple[str, str], type[Any]] = {
    ("officer", "phone"): Officer,
    ("project", "site_security_phone"): Project,
    ("contact", "phone"): EnterpriseContact,
    ("party", "phone"): DisputeParty,
    ("party", "id_number"): DisputeParty,
    ("request", "submitter_phone"): ServiceRequest,
    # Free texts (templates/components/pii.html `text`).
    ("request", "content"): ServiceRequest,
    ("request", "outcome"): ServiceRequest,
    ("request-event", "body"): RequestEvent,
    ("dispute", "facts"): Dispute,
    ("dispute", "outcome_note"): Dispute,
    ("dispute", "obligations"): Dispute,
    ("follow-up", "summary"): DisputeFollowUp,
    ("hazard", "description"): Hazard,
    ("hazard-event", "comment"): HazardEvent,
    ("project", "notes"): Project,
    ("recovery", "note"): Recovery,
}
# A record without a scope of its own is reached through the one it belongs to: its column
# naming that record, and that record's model.
THROUGH: dict[type[Any], tuple[str, type[Any]]] = {
    RequestEvent: ("request_id", ServiceRequest),
    DisputeFollowUp: ("dispute_id", Dispute),
    HazardEvent: ("hazard_id", Hazard),
}


def _reached(session: Session, model: type[Any], object_id: int, principal: Principal) -> Any:
    """The record, or 404 when it does not exist or the login's scope does not reach it."""
    if model not in THROUGH:
        return get_visible(session, model, object_id, principal.scope)
    column, owner = THROUGH[model]
    record = session.get(model, object_id)
    if record is None:
        raise HTTPException(status_code=404)
    get_visible(session, owner, getattr(record, column), principal.scope)
    return record


@router.post("/reveal/{kind}/{object_id}/{field}")
def reveal(
    request: Request,
    session: SessionDep,
    principal: RevealerDep,
    kind: str,
    object_id: int,
    field: str,
) -> Response:
    model = REVEALABLE.get((kind, field))
    if model is None:
        raise HTTPException(status_code=404)
    record = _reached(session, model, object_id, principal)
    record_event(
        session, "reveal", object_type=model.__name__, object_id=object_id, detail={"field": field}
    )
    session.commit()
    response = render(request, "components/_revealed.html", {"value": getattr(record, field)})
    response.headers["cache-control"] = "no-store"
    return response
