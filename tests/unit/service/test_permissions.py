"""checkPermissions as a service, on a real SQLite store: each named check's verdict for the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.unit.service.live_world import OWNER, PINGER, READER, THING_ID
from tests.unit.service.session.world import services
from twinhub.model.errors import ThingIdInvalid, ThingInvalid
from twinhub.model.types import JsonValue
from twinhub.service.permissions import PermissionService, parse_permission_checks

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def permissions(tmp_path: Path) -> AsyncIterator[PermissionService]:
    async with services(tmp_path / "twinhub.db") as world:
        yield PermissionService(world.things, world.policies)


def check(resource: str, *permissions: str, entity_id: str = THING_ID) -> JsonValue:
    return {"resource": resource, "entityId": entity_id, "hasPermissions": list(permissions)}


async def test_a_check_holds_when_every_permission_is_granted_unrestricted(permissions: PermissionService) -> None:
    checks = parse_permission_checks({
        "read-model": check("thing:/attributes/model", "READ"),
        "read-all": check("thing:/", "READ"),  # a secret below is revoked
        "write": check("thing:/attributes", "WRITE"),
        "public": check("message:/inbox/messages/public", "READ"),
        "policy": check("policy:/entries", "READ"),
        "unknown": check("thing:/", "READ", entity_id="org.twinhub.test:missing"),
    })
    assert await permissions.check(checks, READER) == {
        "read-model": True, "read-all": False, "write": False, "public": True, "policy": False, "unknown": False}
    assert (await permissions.check(checks, OWNER))["policy"] is True
    assert (await permissions.check(parse_permission_checks({"ping": check("message:/inbox/messages/ping",
                                                                           "WRITE")}), PINGER)) == {"ping": True}


@pytest.mark.parametrize("body", [
    [], {"x": "thing:/"}, {"x": {"resource": "thing:/"}}, {"x": check("feature:/a", "READ")},
    {"x": check("thing:a", "READ")}, {"x": check("thing:/", "DELETE")}, {"x": check("thing:/")},
])
def test_malformed_checks_are_thing_invalid(body: JsonValue) -> None:
    with pytest.raises(ThingInvalid):
        parse_permission_checks(body)


def test_an_invalid_entity_id_is_refused() -> None:
    with pytest.raises(ThingIdInvalid):
        parse_permission_checks({"x": check("thing:/", "READ", entity_id="no-namespace")})
