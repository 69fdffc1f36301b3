"""GET /api/v1/me: who a bearer token belongs to."""

from fastapi import APIRouter
from pydantic import BaseModel

from liaison.auth.deps import ApiUser

router = APIRouter(prefix="/api/v1", tags=["api"])


class Me(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    station_id: int | None
    enterprise_id: int | None


@router.get("/me", response_model=Me, summary="令牌所属用户")
def me(principal: ApiUser) -> Me:
    user = principal.user
    return Me(
        id=user.id or 0,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        station_id=principal.scope.station_id,
        enterprise_id=user.enterprise_id,
    )
