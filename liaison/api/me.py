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
    # The user's own fields by name; the station is the scope's (an officer's, through the officer).
    own = principal.user.model_dump(include=set(Me.model_fields))
    return Me(**own, station_id=principal.scope.station_id)
