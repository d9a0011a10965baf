"""Subject deletion announcements to a connection: Ditto publishes them "to any websocket or connection that has
subscribed for policy announcements and was authenticated with the relevant subject ID" (basic-policy.md), a
connection through a target with the topic `_/_/policies/announcements`; the target's issued acknowledgement
answers an announcement that requested its label."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import httpx
import orjson
import pytest

from tests.connectivity.e2e import NAMESPACE, OWNER, Connections, new_thing_id
from tests.connectivity.http_receiver import HttpReceiver
from tests.connectivity.polling import until

pytestmark = pytest.mark.anyio

ALL = {"grant": ["READ", "WRITE"], "revoke": []}


@pytest.fixture
async def receiver() -> AsyncIterator[HttpReceiver]:
    async with HttpReceiver() as running:
        yield running


@pytest.mark.parametrize(("address", "redelivered"), [("POST:/echo/announced", False), ("POST:/status/500", True)])
async def test_a_connection_target_gets_the_announcements_of_its_subjects_and_acknowledges_them(
        e2e_api: httpx.AsyncClient, e2e_connections: Connections, receiver: HttpReceiver, address: str,
        redelivered: bool) -> None:
    """A webhook that answers 200 acknowledges the announcement: it is not sent again; one that answers 500 fails
    the acknowledgement, which Ditto redelivers (SubjectExpiryActor.requiresRedelivery: server errors)."""
    connection_id = await e2e_connections.create({"connectionType": "http-push", "uri": receiver.base, "targets": [
        {"address": address, "topics": [f"_/_/policies/announcements?namespaces={NAMESPACE}"],
         "authorizationContext": [OWNER], "issuedAcknowledgementLabel": "{{ connection:id }}:webhook"}]})
    await e2e_connections.wait_open(connection_id)
    policy_id = new_thing_id("announced")
    announcement = {"whenDeleted": True, "requestedAcks": {"labels": [f"{connection_id}:webhook"], "timeout": "5s"}}
    policy = {"entries": {
        "owner": {"subjects": {OWNER: {"type": "t"}}, "resources": {"policy:/": ALL}},
        "watcher": {"subjects": {OWNER: {"type": "t", "announcement": announcement}},
                    "resources": {"thing:/": {"grant": ["READ"], "revoke": []}}},
    }}
    assert (await e2e_api.put(f"/policies/{policy_id}", json=policy)).status_code == 201
    assert (await e2e_api.delete(f"/policies/{policy_id}/entries/watcher")).status_code == 204

    async def arrived() -> bool:
        return bool(receiver.received)

    await until(arrived, "the announcement at the webhook")
    first = orjson.loads(receiver.received[0].body)
    assert first["topic"] == f"{policy_id.replace(':', '/')}/policies/announcements/subjectDeletion"
    assert first["value"]["subjectIds"] == [OWNER]
    # Redelivered, if at all, within its 5 s timeout, a back-off of 1.5-2 s and a round of the announcer.
    await anyio.sleep(9.0)
    assert (len(receiver.received) > 1) is redelivered
