"""The JSON API against its own OpenAPI document (SECURITY.md V1), with Schemathesis in process:
generated requests, valid and not, with a leader's token on a populated district. No answer is
a 5xx, and every answer (status, content type, headers, body) is one the document describes.
Schemathesis's pytest loader from a fixture fails under pytest 9 ('Function' has no _nodeid), so
the document is read from an app made at import."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from liaison.app import create_app
from liaison.auth.roles import Role
from liaison.config import get_settings
from tests.security.world import World, build_world


@pytest.fixture
def world(db) -> World:  # type: ignore[no-untyped-def]
    return build_world(db)


@pytest.fixture
def leader_token(world: World, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A leader's token, allowed more calls a minute than the run makes (the limit itself is
    tested with the API)."""
    monkeypatch.setenv("LIAISON_API_REQUESTS_PER_MINUTE", "1000000")
    get_settings.cache_clear()
    return world.bearer(Role.LEADER)


# Read from an app made at import (development: the document is served); each request reads
# the settings and the database anew, so the test's own database answers.
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())


@schema.parametrize()
@settings(
    max_examples=20,  # a bound that keeps the nine operations under a minute in `make test`
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_the_api_answers_as_its_document_says(case, leader_token):  # type: ignore[no-untyped-def]
    # Every check, "not a server error" (no 5xx) first among them, but "a request the document
    # allows is accepted": the document cannot say that a text has no NUL character, that a
    # number fits an INTEGER column or that `to` is not before `from`, and those are refused
    # (422) on purpose.
    case.call_and_validate(headers=leader_token, excluded_checks=[positive_data_acceptance])
