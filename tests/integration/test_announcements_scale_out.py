"""Subject deletion announcements with several workers on PostgreSQL and NATS: the store's lease lets one worker
send each announcement (no duplicates), the signal bus takes it to the sessions of every worker, and an
acknowledgement issued on one worker settles an announcement another worker sent. Ditto's policies service sends
each announcement from the one SubjectExpiryActor of its subject (basic-policy.md "Subject deletion
announcements")."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.websocket import DittoSocket, open_socket, topic
from tests.integration.services import deployment, shared_backends
from twinhub.testing import Server

ALL = {"grant": ["READ", "WRITE"], "revoke": []}


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    with shared_backends("twinhub_announcements") as env, deployment(env, tmp_path) as started:
        yield started


def _policy(subject: str, announcement: dict[str, object]) -> dict[str, object]:
    return {"entries": {
        "owner": {"subjects": {"nginx:ditto": {"type": "t"}}, "resources": {"policy:/": ALL}},
        "announced": {"subjects": {subject: {"type": "t", "announcement": announcement}},
                      "resources": {"thing:/": {"grant": ["READ"], "revoke": []}}},
    }}


def _announcement(socket: DittoSocket, policy_id: str) -> dict[str, object]:
    wanted = topic(policy_id, "policies/announcements/subjectDeletion")
    frame = socket.receive_until(lambda frame: isinstance(frame, dict) and frame.get("topic") == wanted, 20)
    assert isinstance(frame, dict)
    return frame


def test_each_worker_s_sessions_get_one_announcement(servers: list[Server]) -> None:
    policy_id = f"org.twinhub.test:{uuid.uuid4().hex[:10]}"
    user = f"announced-{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=servers[0].base_url + "/api/2", auth=("ditto", "any"), timeout=30) as client, \
            open_socket(servers[0].base_url, user) as first, open_socket(servers[1].base_url, user) as second:
        for session in (first, second):
            session.control("START-SEND-POLICY-ANNOUNCEMENTS")
        assert client.put(f"/policies/{policy_id}", json=_policy(f"nginx:{user}", {"whenDeleted": True})
                          ).status_code == 201
        assert client.delete(f"/policies/{policy_id}/entries/announced").status_code == 204
        announced = [_announcement(session, policy_id) for session in (first, second)]
        assert announced[0]["headers"]["correlation-id"] == announced[1]["headers"]["correlation-id"]  # type: ignore[index]
        assert first.no_frame(3.0) and second.no_frame(0.5)  # sent once, by one worker


def test_an_acknowledgement_on_another_worker_settles_the_announcement(servers: list[Server]) -> None:
    policy_id = f"org.twinhub.test:{uuid.uuid4().hex[:10]}"
    user, label = f"announced-{uuid.uuid4().hex[:8]}", f"custom:{uuid.uuid4().hex[:8]}"
    announcement = {"whenDeleted": True, "requestedAcks": {"labels": [label], "timeout": "5s"}}
    with httpx.Client(base_url=servers[0].base_url + "/api/2", auth=("ditto", "any"), timeout=30) as client, \
            open_socket(servers[1].base_url, user, query=f"declared-acks={label}") as session:
        session.control("START-SEND-POLICY-ANNOUNCEMENTS")
        assert client.put(f"/policies/{policy_id}", json=_policy(f"nginx:{user}", announcement)).status_code == 201
        assert client.delete(f"/policies/{policy_id}/entries/announced").status_code == 204
        frame = _announcement(session, policy_id)
        session.send({"topic": topic(policy_id, f"things/twin/acks/{label}"), "path": "/", "status": 200,
                      "headers": {"correlation-id": frame["headers"]["correlation-id"]}})  # type: ignore[index]
        assert session.no_frame(9.0)  # acknowledged in time: not redelivered after its 5 s timeout
