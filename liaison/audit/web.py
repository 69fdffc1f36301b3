"""The auditor's pages: the audit log, filtered by user, object and date range."""

from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from liaison.audit import service
from liaison.audit.models import AuditLog
from liaison.auth.deps import Principal, require
from liaison.auth.roles import Role
from liaison.clock import LOCAL_TZ
from liaison.db import SessionDep, paginate
from liaison.web import render

router = APIRouter()
AuditorDep = Annotated[Principal, Depends(require(Role.AUDITOR))]

ACTION_LABELS = {
    "create": "新增",
    "update": "修改",
    "delete": "删除",
    "login": "登录",
    "login_failed": "登录失败",
    "login_refused": "锁定期间登录",
    "logout": "退出",
    "unlock": "解除锁定",
    "end_sessions": "结束会话",
    "token_create": "创建令牌",
}


def _day_start(day: date | None) -> datetime | None:
    return datetime.combine(day, time.min, LOCAL_TZ) if day else None


@router.get("/audit")
def audit_list(
    request: Request,
    session: SessionDep,
    _auditor: AuditorDep,
    actor: str = "",
    object_type: str = "",
    object_id: str = "",
    since: date | None = None,
    until: date | None = None,
    page: int = 1,
) -> Response:
    query = service.search(
        actor=actor.strip(),
        object_type=object_type,
        object_id=object_id.strip(),
        since=_day_start(since),
        until=_day_start(until + timedelta(days=1)) if until else None,
    )
    rows = paginate(session, query, page=page)
    return render(
        request,
        "audit/list.html",
        {
            "rows": rows,
            "actor": actor,
            "object_type": object_type,
            "object_id": object_id,
            "since": since or "",
            "until": until or "",
            "object_types": service.object_types(session),
            "actions": ACTION_LABELS,
        },
        block="results",
    )


@router.get("/audit/{row_id}")
def audit_detail(
    request: Request, session: SessionDep, _auditor: AuditorDep, row_id: int
) -> Response:
    row = session.get(AuditLog, row_id)
    if row is None:
        raise HTTPException(status_code=404)
    keys = sorted(set(row.before or {}) | set(row.after or {}))
    return render(
        request, "audit/detail.html", {"row": row, "keys": keys, "actions": ACTION_LABELS}
    )
