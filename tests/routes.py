"""Walks the app's routers: every route with its methods and its dependency callables."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi.routing import APIRoute

from liaison.app import API_ROUTERS, WEB_ROUTERS
from liaison.auth.roles import Role


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


def admitted(route: RouteInfo) -> set[Role]:
    """The roles every `require(...)` of the route admits (any role for the API's tokens). For
    choosing whom to log in as, never as an expectation: that would test the code against
    itself (tests/security/test_matrix.py keeps its own table)."""
    admits = set(Role)
    for dependency in route.dependencies:
        admits &= set(getattr(dependency, "__roles__", Role))
    return admits


def a_role_admitted(method: str, path: str) -> Role:
    """A role the route lets in, for tests about something other than roles (CSRF, say)."""
    route = next(r for r in all_routes() if r.path == path and method in r.methods)
    admits = admitted(route)
    return next(role for role in (Role.LEADER, Role.ADMIN, *Role) if role in admits)
