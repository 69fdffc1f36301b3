"""/admin/policy: the permission table as the code enforces it, for the three administrators
(graded-protection assessors ask for exactly this). Printed from `POLICY` itself, so the page
cannot describe a rule the code does not apply."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from liaison.auth.deps import Principal, require
from liaison.auth.policy import POLICY
from liaison.auth.roles import ADMIN_ROLES, Role
from liaison.web import render

router = APIRouter()
ReaderDep = Annotated[Principal, Depends(require(*ADMIN_ROLES))]


@router.get("/admin/policy")
def policy_table(request: Request, _reader: ReaderDep) -> Response:
    rows = [
        {
            "action": action.value,
            "description": rule.description,
            "roles": [role for role in Role if role in rule.roles],
            "rule": rule.rule_description,
        }
        for action, rule in POLICY.items()
    ]
    return render(request, "admin/policy.html", {"rows": rows, "all_roles": list(Role)})
