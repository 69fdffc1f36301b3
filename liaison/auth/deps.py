"""FastAPI dependencies: who is asking, and may they. Every non-public route carries one of
`require(...)` or `require_login`; a test checks that none is forgotten."""

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from liaison.audit.service import set_actor
from liaison.auth import second_factor, service
from liaison.auth.models import User, UserSession
from liaison.auth.permissions import scope_for
from liaison.auth.roles import CASE_READER_ROLES, READER_ROLES, STAFF_ROLES, Role
from liaison.auth.throttle import address_key, allow_now
from liaison.config import Settings, get_settings
from liaison.db import SessionDep
from liaison.scope import Scope

PASSWORD_PAGE = "/account/password"  # noqa: S105  (a path)
# Pages a login that must change its password may still use.
ALLOWED_BEFORE_PASSWORD_CHANGE = frozenset({PASSWORD_PAGE, "/logout"})

SettingsDep = Annotated[Settings, Depends(get_settings)]


class LoginRequired(Exception):
    """No live session: the HTML side redirects to the login page."""


class PasswordChangeRequired(Exception):
    """First login, reset or expired password: only the password page is open."""


class SecondFactorRequired(Exception):
    """Password checked, second factor not yet (or not yet enrolled): only `page` is open."""

    def __init__(self, page: str) -> None:
        super().__init__(page)
        self.page = page


@dataclass
class Principal:
    user: User
    scope: Scope
    user_session: UserSession | None = None

    @property
    def role(self) -> Role:
        return Role(self.user.role)


def _trusted(address: str, networks: list[Any]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request: Request) -> str | None:
    """The client's address: the socket's; behind a trusted proxy (LIAISON_TRUSTED_PROXIES),
    the nearest address in X-Forwarded-For that is not itself a trusted proxy. What clients
    write further left in the header is theirs to forge, so it is never read."""
    peer = request.client.host if request.client else None
    networks = get_settings().trusted_networks
    if peer is None or not _trusted(peer, networks):
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",")]
    for hop in reversed([h for h in hops if h]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer  # a malformed header: keep the proxy's own address
        if not _trusted(hop, networks):
            return hop
    return peer


def _principal(request: Request, session: SessionDep, settings: SettingsDep) -> Principal:
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    found = service.session_for_token(settings, request.cookies.get(settings.session_cookie))
    if found is None:
        raise LoginRequired
    user_session, user = found
    principal = Principal(user=user, scope=scope_for(session, user), user_session=user_session)
    set_actor(session, user_id=user.id, name=user.username, client_ip=client_ip(request))
    path = request.url.path
    gate = second_factor.gate(user, user_session, settings)
    must_change = gate is None and service.must_change_password(user, settings)
    if gate is not None:
        if path not in second_factor.OPEN_BEFORE[gate]:
            raise SecondFactorRequired(gate)
    elif must_change and path not in ALLOWED_BEFORE_PASSWORD_CHANGE:
        raise PasswordChangeRequired
    request.state.principal = principal
    # Past every gate (second factor, forced password change): the page may show what only
    # such a login reaches, the bell (which, polled from a gate's page, would be sent back there).
    request.state.through_gates = gate is None and not must_change
    return principal


def require_login(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
    """Any logged-in user."""
    return principal


require_login.__permission__ = True  # type: ignore[attr-defined]


def require(*roles: Role) -> Callable[..., Principal]:
    """A logged-in user whose role is one of `roles`; anyone else gets 403."""

    def check(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
        if principal.role not in roles:
            raise HTTPException(status_code=403)
        return principal

    check.__permission__ = True  # type: ignore[attr-defined]
    check.__roles__ = frozenset(roles)  # type: ignore[attr-defined]
    return check


def public(request: Request, session: SessionDep) -> None:
    """Marks a route as open to anyone; changes it makes are audited as anonymous."""
    set_actor(session, user_id=None, name="anonymous", client_ip=client_ip(request))


public.__permission__ = True  # type: ignore[attr-defined]


def api_principal(request: Request, session: SessionDep, settings: SettingsDep) -> Principal:
    """The owner of the bearer token; 401 without a valid one, 429 past the API's limits
    (per owner, and per address for bad tokens, so tokens cannot be guessed at speed)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    user = service.user_for_api_token(token.strip()) if scheme.lower() == "bearer" else None
    address = client_ip(request)
    if user is None:
        wait = allow_now(
            address_key("api-fail-ip", address),
            limit=settings.api_failures_per_10_minutes,
            window=timedelta(minutes=10),
        )
    else:
        wait = allow_now(
            f"api-user:{user.id}",
            limit=settings.api_requests_per_minute,
            window=timedelta(minutes=1),
        )
    if wait is not None:
        raise HTTPException(
            status_code=429, detail="请求过于频繁，请稍后再试", headers={"Retry-After": str(wait)}
        )
    if user is None:
        raise HTTPException(
            status_code=401, detail="无效的令牌", headers={"WWW-Authenticate": "Bearer"}
        )
    set_actor(session, user_id=user.id, name=user.username, client_ip=address)
    return Principal(user=user, scope=scope_for(session, user))


api_principal.__permission__ = True  # type: ignore[attr-defined]

CurrentUser = Annotated[Principal, Depends(require_login)]
ApiUser = Annotated[Principal, Depends(api_principal)]
# The business records' pages: their rows then follow the login's scope.
ReaderDep = Annotated[Principal, Depends(require(*READER_ROLES))]
StaffDep = Annotated[Principal, Depends(require(*STAFF_ROLES))]
CaseReaderDep = Annotated[Principal, Depends(require(*CASE_READER_ROLES))]
