"""Walks the app's routers: every route with its methods and its dependency callables."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi.routing import APIRoute

from liaison.app import API_ROUTERS, WEB_ROUTERS


@dataclass
class RouteInfo:
    path: str
    methods: set[str]
    dependencies: list[Callable[..., Any]]


def _calls(dependant: Any) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def all_routes() -> list[RouteInfo]:
    routes = []
    for router in [*API_ROUTERS, *WEB_ROUTERS]:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            calls = list(_calls(route.dependant))
            calls += [d.dependency for d in router.dependencies if d.dependency]
            routes.append(RouteInfo(route.path, set(route.methods), calls))
    return routes


def concrete(path: str, object_id: int = 1) -> str:
    """A path with its parameters filled in."""
    import re

    return re.sub(r"\{[^}]+\}", str(object_id), path)
