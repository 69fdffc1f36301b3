"""The auditor's pages: the audit log, filtered by user, object and date range, and its export
for a range of days."""

import io
from datetime import date, timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from sqlmodel import Session, SQLModel, col, select

from liaison.audit import export, service
from liaison.audit.models import AuditLog
from liaison.audit.service import ACTION_LABELS, day_start, masked
from liaison.auth.deps import require
from liaison.auth.models import User
from liaison.auth.roles import Role
from liaison.clock import FIRST_DAY, LAST_DAY
from liaison.db import SessionDep
from liaison.listing import ListFilter, OptionalDay
from liaison.pages.lists import ListingDep
from liaison.web import get_or_404, redirect, render

router = APIRouter(dependencies=[Depends(require(Role.AUDITOR))])  # every page is the auditor's

# What a row names its record by, in the order a person would recognise it.
IDENTITIES = ("tracking_no", "code", "badge_no", "uscc", "username", "name")


def nouns() -> dict[str, str]:
    """Each table's record as the log shows it (its model's `__noun__`): 诉求, 重点项目…"""
    return {
        m.class_.__name__: getattr(m.class_, "__noun__", m.class_.__name__)
        for m in SQLModel._sa_registry.mappers
    }


def described(session: Session, rows: list[AuditLog]) -> dict[int | None, str]:
    """Each row's object as a person reads it: 诉求 YY20230419-0003, 账号 demo-officer; a
    record's own code or name from what the row logged, else (a login) the account's name."""
    names, labels = nouns(), {}
    users = {r.object_id for r in rows if r.object_type == "User" and r.object_id}
    usernames = dict(
        session.exec(
            select(User.id, User.username).where(col(User.id).in_([int(u) for u in users]))
        ).all()
    )
    for row in rows:
        logged = {**(row.before or {}), **(row.after or {})}
        identity = next((str(logged[k]) for k in IDENTITIES if logged.get(k)), None)
        if identity is None and row.object_type == "User" and row.object_id:
            identity = usernames.get(int(row.object_id))
        identity = identity or (f"#{row.object_id}" if row.object_id else "")
        labels[row.id] = f"{names.get(row.object_type, row.object_type)} {identity}".strip()
    return labels


class AuditFilter(ListFilter):
    actor: str = ""
    object_type: str = ""
    object_id: str = ""
    since: OptionalDay = None
    until: OptionalDay = None


@router.get("/audit")
def audit_list(listing: ListingDep, filters: Annotated[AuditFilter, Query()]) -> Response:
    since, until = filters.since, filters.until
    query = service.search(
        actor=filters.actor.strip(),
        object_type=filters.object_type,
        object_id=filters.object_id.strip(),
        since=day_start(since) if since else None,
        until=day_start(until + timedelta(days=1)) if until else None,
    )
    rows = listing.rows(query)
    return listing.render(
        "audit/list.html",
        {
            "rows": rows,
            "actor": filters.actor,
            "object_type": filters.object_type,
            "object_id": filters.object_id,
            "since": since or "",
            "until": until or "",
            "object_types": [
                (t, nouns().get(t, t)) for t in service.object_types(listing.session) if t
            ],
            "described": described(listing.session, rows.items),
            "actions": ACTION_LABELS,
        },
    )


@router.post("/audit/export")
def audit_export(
    request: Request,
    session: SessionDep,
    since: Annotated[str, Form()] = "",
    until: Annotated[str, Form()] = "",
) -> Response:
    """The rows of a range of days as .xlsx; a POST, because the export is itself audited."""
    try:
        first, last = date.fromisoformat(since), date.fromisoformat(until)
    except ValueError:
        return redirect(request, "/audit", "请填写导出的起止日期", "error")
    if not (FIRST_DAY <= first <= LAST_DAY and FIRST_DAY <= last <= LAST_DAY):
        return redirect(request, "/audit", f"日期应在 {FIRST_DAY} 至 {LAST_DAY} 之间", "error")
    out = io.BytesIO()
    try:
        export.export(session, first, last, out, "xlsx")
    except export.ExportRefused as exc:
        return redirect(request, "/audit", str(exc), "error")
    session.commit()
    filename = f"审计日志-{first:%Y%m%d}-{last:%Y%m%d}.xlsx"
    return Response(
        out.getvalue(),
        media_type=export.XLSX_TYPE,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


@router.get("/audit/{row_id}")
def audit_detail(request: Request, session: SessionDep, row_id: int) -> Response:
    row = get_or_404(session, AuditLog, row_id)
    before, after = row.before or {}, row.after or {}
    shown_before, shown_after = masked(before) or {}, masked(after) or {}
    fields = [
        (key, shown_before.get(key), shown_after.get(key), before.get(key) != after.get(key))
        for key in sorted(set(before) | set(after))
    ]
    return render(
        request,
        "audit/detail.html",
        {
            "row": row,
            "fields": fields,
            "actions": ACTION_LABELS,
            "described": described(session, [row])[row.id],
        },
    )
