"""Reveal (SECURITY.md Z4, P4): one masked phone or ID number shown whole, on request, to a
role with the pii.reveal permission and only on a record its scope reaches (another station's
is 404, as everywhere). Each reveal is an audit event naming the record and the field, never
the number, and the answer is never cached."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from liaison.audit.service import record_event
from liaison.auth.deps import Principal, require
from liaison.auth.roles import PII_REVEAL_ROLES
from liaison.db import SessionDep
from liaison.desk.models import ServiceRequest
from liaison.disputes.models import DisputeParty
from liaison.enterprises.models import EnterpriseContact
from liaison.org.models import Officer
from liaison.projects.models import Project
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
}


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
    record = get_visible(session, model, object_id, principal.scope)
    record_event(
        session, "reveal", object_type=model.__name__, object_id=object_id, detail={"field": field}
    )
    session.commit()
    response = render(request, "components/_revealed.html", {"value": getattr(record, field)})
    response.headers["cache-control"] = "no-store"
    return response
