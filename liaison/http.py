"""Cross-cutting HTTP: security headers, request ids, body limits, requests in flight, the CSRF
cookie and check, input no column can hold, error pages."""

import asyncio
import hmac
import logging
import secrets
import tempfile
import time
import uuid
from collections.abc import Iterator
from typing import Any, get_args

import anyio
import sqlalchemy as sa
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from liaison.config import get_settings
from liaison.db import database_busy
from liaison.listing import LARGEST_ID

log = logging.getLogger("liaison")

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
NUL = "\x00"
# A body has this long, plus a second for every BODY_MIN_RATE bytes received (Apache
# mod_reqtimeout's body=20,MinRate=500): a phone uploading photos slowly is far above it.
BODY_GRACE_SECONDS = 20.0
BODY_MIN_RATE = 500
# And never longer than this in all: a body trickling in at just over the rate would otherwise
# last for hours (40 MB at 600 B/s: 19 h). Five minutes take 40 MB at 140 kB/s.
BODY_MAX_SECONDS = 300.0
# What a request refused for a lock it waited too long for is told: try again in this many
# seconds (a ledger import of the largest size SQLite takes holds the lock for about that).
BUSY = "系统繁忙，请稍后重试"
BUSY_RETRY_SECONDS = 10

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def security_headers(*, production: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-security-policy", CSP.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(self), geolocation=(), microphone=()"),
    ]
    if production:
        headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    return headers


class HttpMiddleware:
    """Pure ASGI: gives every request an id and a CSRF cookie, and every response the security
    headers and, in development, its server time (Server-Timing). Pages are personal data: no
    caching except for static files."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = get_settings()
        started = time.perf_counter()
        request_id = uuid.uuid4().hex[:16]
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        cookie_token = _cookie(scope, settings.csrf_cookie)
        state["csrf_token"] = cookie_token or secrets.token_urlsafe(32)
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"server"]
                present = {k.lower() for k, _ in headers}
                headers += [
                    (k, v)
                    for k, v in security_headers(production=settings.is_production)
                    if k not in present  # a file response sets its own, stricter CSP
                ]
                headers.append((b"x-request-id", request_id.encode()))
                if not settings.is_production:  # timings tell an attacker what a query costs
                    elapsed_ms = (time.perf_counter() - started) * 1000
                    headers.append((b"server-timing", f"app;dur={elapsed_ms:.1f}".encode()))
                if not static and not any(k.lower() == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                if not cookie_token and not static:
                    headers.append((b"set-cookie", _csrf_cookie(state["csrf_token"]).encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class InFlightLimit:
    """At most `limit` requests at once in this process. A request may hold two pooled
    connections at a time (its own session, and a short one for the session check, the API's
    rate counter or the standby's reads), so with `limit` = half the pool no request can sit on
    one connection waiting for a second that only waiting requests hold. Others queue here."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.slots = anyio.Semaphore(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        async with self.slots:
            await self.app(scope, receive, send)


class BodyGuard:
    """Pure ASGI, inside HttpMiddleware and outside InFlightLimit: a request's whole body is
    read before the request takes one of the slots of `InFlightLimit`, so clients sending
    slowly hold a connection each, never a slot that others need. The body is spooled (to disk
    above a megabyte), refused with 413 beyond `buffer_limit` (the largest any route takes)
    and with 408 when it stops arriving or lasts longer than BODY_MAX_SECONDS, however steadily
    it trickles. A route's own `max_body_size` (or `max_body_size` for the rest) is then held
    as it reads, with our page rather than Starlette's English text."""

    def __init__(self, app: ASGIApp, max_body_size: int, buffer_limit: int) -> None:
        self.app = RequestBodyLimitMiddleware(app, max_body_size=max_body_size)
        self.buffer_limit = buffer_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            receive = await self._read_whole_body(scope, receive)
        except StarletteHTTPException as refusal:
            page = _error_response(
                Request(scope), refusal.status_code, refusal.detail, {"Connection": "close"}
            )
            await page(scope, receive, send)
            return
        ours: Response | None = None

        async def send_our_page(message: Message) -> None:
            nonlocal ours
            plain = (b"content-type", b"text/plain; charset=utf-8")
            start = message["type"] == "http.response.start"
            if start and message["status"] == 413 and plain in message.get("headers", []):
                ours = _error_response(Request(scope), 413)
                message = {**message, "headers": ours.raw_headers}
            elif message["type"] == "http.response.body" and ours is not None:
                message = {**message, "body": ours.body}
            await send(message)

        await self.app(scope, receive, send_our_page)

    async def _read_whole_body(self, scope: Scope, receive: Receive) -> Receive:
        """The body, read to its end in time, as a `receive` that hands it on; a request
        without one (most GETs) passes as it came."""
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"")
        if not length.strip(b"0") and b"transfer-encoding" not in headers:
            return receive
        if length.isdigit() and int(length) > self.buffer_limit:
            raise StarletteHTTPException(413)
        spool = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115 (handed on)
        started, received, complete = time.monotonic(), 0, False
        while True:
            deadline = min(
                started + BODY_GRACE_SECONDS + received / BODY_MIN_RATE,
                started + BODY_MAX_SECONDS,
            )
            try:
                message = await asyncio.wait_for(receive(), max(deadline - time.monotonic(), 0))
            except TimeoutError:
                spool.close()
                raise StarletteHTTPException(408, "提交超时，请检查网络后重试") from None
            if message["type"] != "http.request":  # the client has gone: the app will see it
                break
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.buffer_limit:
                spool.close()
                raise StarletteHTTPException(413)
            await anyio.to_thread.run_sync(spool.write, chunk)
            if not message.get("more_body"):
                complete = True
                break
        spool.seek(0)
        if complete and not length:  # a body of known length now, as a buffering proxy sends it
            scope["headers"] = [
                *(
                    h
                    for h in scope["headers"]
                    if h[0] not in (b"content-length", b"transfer-encoding")
                ),
                (b"content-length", str(received).encode()),
            ]
        return _replay(spool, received, complete, receive)


def _replay(spool: Any, size: int, complete: bool, receive: Receive) -> Receive:
    """A `receive` that hands on a spooled body of `size` bytes in pieces, ending as the
    client did (the whole body, or a disconnect), then passes on what comes after."""
    ended = False

    async def replay() -> Message:
        nonlocal ended
        if ended:
            return await receive()
        chunk = await anyio.to_thread.run_sync(spool.read, 256 * 1024)
        if spool.tell() < size:
            return {"type": "http.request", "body": chunk, "more_body": True}
        ended = True
        spool.close()
        if complete:
            return {"type": "http.request", "body": chunk, "more_body": False}
        return {"type": "http.disconnect"}

    return replay


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name and v:
                    return v
    return None


def _csrf_cookie(token: str) -> str:
    settings = get_settings()
    attrs = f"{settings.csrf_cookie}={token}; Path=/; HttpOnly; SameSite=Strict"
    return attrs + ("; Secure" if settings.is_production else "")


async def csrf_protect(request: Request) -> None:
    """Every state-changing request carries the CSRF cookie's token, in the form or (htmx) in a
    header, and does not come from another site. Bearer-token calls of the API carry no cookie;
    anywhere else a bearer header changes nothing (the public form took one as a pass)."""
    if request.method in SAFE_METHODS:
        return
    settings = get_settings()
    bearer = request.headers.get("authorization", "").lower().startswith("bearer ")
    api = request.url.path.startswith("/api/")
    if bearer and api and not request.cookies.get(settings.session_cookie):
        return
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise StarletteHTTPException(403, "跨站请求被拒绝")
    origin = request.headers.get("origin")
    if origin and origin != "null" and origin.rstrip("/") != str(request.base_url).rstrip("/"):
        raise StarletteHTTPException(403, "跨站请求被拒绝")
    expected = request.cookies.get(settings.csrf_cookie, "")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and "form" in request.headers.get("content-type", ""):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    # Compared as bytes: compare_digest refuses str with non-ASCII characters (a TypeError).
    if not expected or not sent or not hmac.compare_digest(expected.encode(), sent.encode()):
        raise StarletteHTTPException(403, "页面已过期或请求来源无效，请刷新页面后重试")


async def refuse_unstorable(request: Request) -> None:
    """Refuse, as invalid input, what no column can hold, before a query tries: a NUL
    character (PostgreSQL cannot store one: a 500; SQLite's LIKE stops at it: a search for it
    matched everything) and a whole number no INTEGER column holds (a 500 on either)."""
    found = [("query", k) for k, v in request.query_params.multi_items() if NUL in k + v]
    found += [("path", k) for k, v in request.path_params.items() if NUL in str(v)]
    if request.method not in SAFE_METHODS and "form" in request.headers.get("content-type", ""):
        form = await request.form()
        found += [("body", k) for k, v in form.multi_items() if isinstance(v, str) and NUL in v]
    errors = [{"loc": loc, "msg": "不能包含空字符", "type": "value_error"} for loc in found]
    route = request.scope.get("route")
    for location, name in _whole_number_params(getattr(route, "dependant", None)):
        given = request.path_params if location == "path" else request.query_params
        if _beyond_integer_column(str(given.get(name, ""))):
            errors.append({"loc": (location, name), "msg": "数字过大", "type": "value_error"})
    if errors:
        raise RequestValidationError(errors)


def _whole_number_params(dependant: Any) -> Iterator[tuple[str, str]]:
    if dependant is None:
        return
    for location, params in (("path", dependant.path_params), ("query", dependant.query_params)):
        for param in params:
            annotation = param.field_info.annotation
            if annotation is int or int in get_args(annotation):
                yield location, param.alias
    for sub in dependant.dependencies:
        yield from _whole_number_params(sub)


def _beyond_integer_column(text: str) -> bool:
    """Past what an INTEGER column holds (PostgreSQL's is 32 bits; SQLite's driver binds 64)."""
    digits = text.strip().lstrip("+-").lstrip("0")
    # ASCII only: "²".isdigit() is true, and int("²") a ValueError (a 500).
    return digits.isascii() and digits.isdigit() and (len(digits) > 10 or int(digits) > LARGEST_ID)


ERROR_TITLES = {
    400: "请求有误",
    401: "请先登录",
    403: "没有权限",
    404: "页面不存在",
    405: "不支持的请求方式",
    408: "提交超时",
    413: "提交的内容过大",
    422: "提交的内容有误",
    429: "请求过于频繁",
    500: "系统出错了",
    503: "系统繁忙",
}


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_response(
    request: Request, status: int, detail: Any = None, headers: Any = None
) -> Response:
    from liaison.web import render

    title = ERROR_TITLES.get(status, "出错了")
    if _wants_json(request):
        return JSONResponse({"detail": detail or title}, status_code=status, headers=headers)
    message = detail if isinstance(detail, str) and detail and status != 500 else None
    response = render(
        request,
        "errors/error.html",
        {
            "status": status,
            "title": title,
            "message": message,
            "request_id": request.scope.get("state", {}).get("request_id", ""),
        },
        status_code=status,
    )
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response


def install_error_handlers(app: Any) -> None:
    from liaison.auth.deps import (
        PASSWORD_PAGE,
        LoginRequired,
        PasswordChangeRequired,
        SecondFactorRequired,
    )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if exc.detail != ERROR_TITLES.get(exc.status_code) else None
        if isinstance(detail, str) and not _chinese(detail):
            detail = None  # Starlette's words ("Not Found", "Too many fields"): the title says it
        return _error_response(request, exc.status_code, detail, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": jsonable_errors(exc)}, status_code=422)
        return _error_response(request, 422, "提交的内容格式不正确，请检查后重试")

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        return _to(
            request, "/login" + ("?next=" + request.url.path if request.method == "GET" else "")
        )

    @app.exception_handler(PasswordChangeRequired)
    async def password_change(request: Request, _exc: PasswordChangeRequired) -> Response:
        return _to(request, PASSWORD_PAGE)

    @app.exception_handler(SecondFactorRequired)
    async def second_factor(request: Request, exc: SecondFactorRequired) -> Response:
        return _to(request, exc.page)

    @app.exception_handler(sa.exc.DBAPIError)
    async def database_error(request: Request, exc: sa.exc.DBAPIError) -> Response:
        """A wait for a lock given up on (an import holds SQLite's only one) is a 503 to send
        again later; any other database error is the server's (the handler below)."""
        if not database_busy(exc):
            raise exc
        log.warning(
            "database busy, request %s: %s",
            request.scope.get("state", {}).get("request_id"),
            str(exc.orig).splitlines()[0] if exc.orig else "",
        )
        return _error_response(request, 503, BUSY, {"Retry-After": str(BUSY_RETRY_SECONDS)})

    @app.exception_handler(ClientDisconnect)
    async def client_gone(request: Request, _exc: ClientDisconnect) -> Response:
        # The client hung up while sending its body: nobody to answer, nothing went wrong here.
        log.info(
            "client disconnected, request %s", request.scope.get("state", {}).get("request_id")
        )
        return Response(status_code=499)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        request_id = request.scope.get("state", {}).get("request_id", "")
        log.exception("unhandled error, request %s", request_id)
        response = _error_response(request, 500)
        for key, value in security_headers(production=get_settings().is_production):
            response.headers[key.decode()] = value.decode()
        response.headers["x-request-id"] = request_id
        response.headers["cache-control"] = "no-store"
        return response


def _to(request: Request, url: str) -> Response:
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def jsonable_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ]
