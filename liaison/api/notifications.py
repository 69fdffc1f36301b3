"""GET /api/v1/notifications: the token's user's own notifications, newest first; and marking
one read. Only staff are told anything; another login's token lists nothing and reads none."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel

from liaison.api.common import NOT_FOUND, ListCallDep, ListOut
from liaison.auth.deps import ApiUser
from liaison.db import SessionDep
from liaison.notify import service

router = APIRouter(prefix="/api/v1", tags=["api"])


class NotificationOut(BaseModel):
    id: int
    kind: str
    title: str
    url: str  # the record's page: /requests/{id} for a request
    created_at: datetime
    read_at: datetime | None


class NotificationList(ListOut[NotificationOut]):
    unread: int


@router.get("/notifications", response_model=NotificationList, summary="本人的通知")
def list_notifications(
    call: ListCallDep,
    unread: Annotated[bool | None, Query(description="true 只列未读，false 只列已读")] = None,
) -> NotificationList:
    user_id = call.principal.user.id or 0
    rows, total = call.fetch(service.notifications(user_id, unread=unread))
    return NotificationList(
        total=total,
        limit=call.page.limit,
        offset=call.page.offset,
        items=[NotificationOut.model_validate(row, from_attributes=True) for row in rows],
        unread=service.unread_count(call.session, user_id),
    )


@router.post(
    "/notifications/{notification_id}/read",
    status_code=204,
    summary="标为已读",
    responses=NOT_FOUND,
)
def read_notification(session: SessionDep, principal: ApiUser, notification_id: int) -> Response:
    user_id = principal.user.id or 0
    if service.own_notification(session, user_id, notification_id) is None:
        raise HTTPException(status_code=404, detail="没有这条通知")
    service.mark_read(session, user_id, notification_id)
    session.commit()
    return Response(status_code=204)
