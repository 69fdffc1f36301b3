"""create_app(): the web application with its middleware, routers and error pages."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from liaison import checks, jobs, models  # noqa: F401  (models: every table registered first)
from liaison.api import disputes as disputes_api
from liaison.api import hazards as hazards_api
from liaison.api import me
from liaison.api import metrics as metrics_api
from liaison.api import notifications as notifications_api
from liaison.api import projects as projects_api
from liaison.api import requests as requests_api
from liaison.api.common import API_ERRORS
from liaison.config import get_settings
from liaison.db import database_problems
from liaison.http import (
    BodyGuard,
    HttpMiddleware,
    InFlightLimit,
    csrf_protect,
    install_error_handlers,
    refuse_unstorable,
)
from liaison.pages import (
    attachments,
    audit,
    auth,
    deliveries,
    desk_settings,
    disputes,
    enterprises,
    hazards,
    home,
    ledger,
    metrics,
    notifications,
    org,
    policy,
    posters,
    projects,
    public,
    recoveries,
    requests,
    reveal,
    second_factor,
)
from liaison.web import ROOT
from liaison.wiring import wire

# Every router of the app; tests walk these to check each route's permission and CSRF.
API_ROUTERS: list[APIRouter] = [
    me.router,
    projects_api.router,
    hazards_api.router,
    disputes_api.router,
    requests_api.router,
    metrics_api.router,
    notifications_api.router,
]
WEB_ROUTERS: list[APIRouter] = [
    auth.router,
    second_factor.router,
    policy.router,
    org.router,
    audit.router,
    home.router,
    projects.router,
    enterprises.router,
    hazards.router,
    disputes.router,
    recoveries.router,
    public.router,
    posters.router,
    requests.router,
    desk_settings.router,
    attachments.router,
    ledger.router,
    metrics.router,
    reveal.router,
    notifications.router,
    deliveries.router,
]


MAX_BODY = 2 * 1024 * 1024  # upload routes allow more, each by its own max_body_size


@asynccontextmanager
async def _freeze_start_up(app: FastAPI) -> AsyncIterator[None]:
    """Hide what start-up made (modules, routes, models: some 200,000 objects) from the garbage
    collector, so that its full collections scan only what requests make. Without this, every
    tenth project list at province size took 150 ms instead of 16 (docs/performance.md)."""
    gc.collect()
    gc.freeze()
    with jobs.in_process(get_settings()):  # the job engine, on one machine
        yield


def create_app() -> FastAPI:
    settings = get_settings()  # refuses an insecure production configuration
    wire()
    if settings.is_production and (refused := checks.refusal(database_problems(settings))):
        raise ValueError(refused)
    docs = settings.docs_on
    app = FastAPI(
        title="Liaison 项目警官",
        version="1",
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
        dependencies=[Depends(csrf_protect), Depends(refuse_unstorable)],
        lifespan=_freeze_start_up,
    )
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")
    for router in API_ROUTERS:
        app.include_router(router, responses=API_ERRORS)
    for router in WEB_ROUTERS:
        app.include_router(router, include_in_schema=False)
    # The largest body any route takes (the ledger's upload) bounds what is read at all.
    largest = max(
        [MAX_BODY] + [getattr(r, "max_body_size", None) or 0 for x in WEB_ROUTERS for r in x.routes]
    )
    # Outermost last: headers on every answer, then the whole body read, then a slot.
    app.add_middleware(InFlightLimit, limit=settings.requests_in_flight)
    app.add_middleware(BodyGuard, max_body_size=MAX_BODY, buffer_limit=largest)
    app.add_middleware(HttpMiddleware)
    return app
