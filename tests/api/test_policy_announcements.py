"""Subject deletion announcements over the WebSocket (`START-SEND-POLICY-ANNOUNCEMENTS`).

Ditto (basic-policy.md "Subject deletion announcements", protocol-specification-policies.md "Announcements";
policies service SubjectExpiryActor, PolicyAnnouncementManager): a subject with an `announcement` is announced as
`<ns>/<name>/policies/announcements/subjectDeletion` with `{deleteAt, subjectIds}` to the sessions authenticated as
that subject, `beforeExpiry` ahead of its expiry and/or `whenDeleted`; with `requestedAcks` the announcement is
redelivered until the labels are acknowledged (408/424/5xx) within the grace period.

The server rounds expiries to whole seconds (TWINHUB_POLICY_EXPIRY_GRANULARITY=1) and its announcer looks for due
announcements every second."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.api.helpers import assert_error
from tests.api.websocket import DittoSocket, open_socket, topic
from twinhub.testing import Server, running_server

ALL = {"grant": ["READ", "WRITE"], "revoke": []}


def _user() -> str:
    return f"announced-{uuid.uuid4().hex[:8]}"


def _policy(subject: str, announcement: dict[str, object], expiry: str | None = None) -> dict[str, object]:
    announced: dict[str, object] = {"type": "t", "announcement": announcement}
    if expiry is not None:
        announced["expiry"] = expiry
    return {"entries": {
        "owner": {"subjects": {"nginx:ditto": {"type": "t"}}, "resources": {"policy:/": ALL, "thing:/": ALL}},
        "announced": {"subjects": {subject: announced}, "resources": {"thing:/": {"grant": ["READ"], "revoke": []}}},
    }}


def _is_announcement(policy_id: str) -> Callable[[object], bool]:
    wanted = topic(policy_id, "policies/announcements/subjectDeletion")
    return lambda frame: isinstance(frame, dict) and frame.get("topic") == wanted


def _announcement(socket: DittoSocket, policy_id: str, timeout: float = 15) -> dict[str, object]:
    frame = socket.receive_until(_is_announcement(policy_id), timeout)
    assert isinstance(frame, dict)
    return frame


def _in(seconds: int) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_deleted_subject_that_asked_for_it_is_announced(server: Server, client: httpx.Client,
                                                          thing_id: str) -> None:
    """`whenDeleted`: removing the subject (here its entry) announces it at once, to its sessions only, with the
    moment of the deletion as `deleteAt`."""
    user, other = _user(), _user()
    subject = f"nginx:{user}"
    response = client.put(f"/policies/{thing_id}", json=_policy(subject, {"whenDeleted": True}))
    assert response.status_code == 201, response.text
    with open_socket(server.base_url, user) as announced, open_socket(server.base_url, other) as bystander:
        announced.control("START-SEND-POLICY-ANNOUNCEMENTS")
        bystander.control("START-SEND-POLICY-ANNOUNCEMENTS")
        before = datetime.now(UTC) - timedelta(seconds=1)
        assert client.delete(f"/policies/{thing_id}/entries/announced").status_code == 204
        frame = _announcement(announced, thing_id)
        assert bystander.no_frame(2.0)
    assert frame["path"] == "/"
    value = frame["value"]
    assert isinstance(value, dict) and value["subjectIds"] == [subject]
    assert datetime.fromisoformat(str(value["deleteAt"]).replace("Z", "+00:00")) >= before
    assert frame["headers"]["correlation-id"]  # type: ignore[index]


def test_a_subject_is_announced_before_it_expires(server: Server, client: httpx.Client, thing_id: str) -> None:
    """`beforeExpiry`: announced that long before its `expiry` (less a random part of `randomizationInterval`,
    here none), with the expiry as `deleteAt`; the subject still exists when it is announced."""
    user = _user()
    subject = f"nginx:{user}"
    expiry = _in(4)
    policy = _policy(subject, {"beforeExpiry": "2s", "randomizationInterval": "0s"}, expiry)
    with open_socket(server.base_url, user) as announced:
        announced.control("START-SEND-POLICY-ANNOUNCEMENTS")
        assert client.put(f"/policies/{thing_id}", json=policy).status_code == 201
        frame = _announcement(announced, thing_id)
    assert frame["value"] == {"deleteAt": expiry, "subjectIds": [subject]}


def test_an_expiring_subject_that_asked_for_it_is_announced_as_it_expires(server: Server, client: httpx.Client,
                                                                          thing_id: str) -> None:
    """SubjectExpiryActor: without `beforeExpiry`, a subject is deleted as it expires, which `whenDeleted`
    announces (its expiry as `deleteAt`)."""
    user = _user()
    subject = f"nginx:{user}"
    expiry = _in(2)
    with open_socket(server.base_url, user) as announced:
        announced.control("START-SEND-POLICY-ANNOUNCEMENTS")
        assert client.put(f"/policies/{thing_id}", json=_policy(subject, {"whenDeleted": True}, expiry)
                          ).status_code == 201
        frame = _announcement(announced, thing_id)
    assert frame["value"] == {"deleteAt": expiry, "subjectIds": [subject]}


def test_an_unacknowledged_announcement_is_redelivered_until_acknowledged(server: Server, client: httpx.Client,
                                                                          thing_id: str) -> None:
    """`requestedAcks`: the announcement requests the labels (with its timeout) and is sent again, with a new
    correlation-id, while no acknowledgement came (408); once the session acknowledges it (on the ack topic of the
    policy's id), it is not sent again."""
    user = _user()
    label = f"custom:{uuid.uuid4().hex[:8]}"
    subject = f"nginx:{user}"
    announcement = {"whenDeleted": True, "requestedAcks": {"labels": [label], "timeout": "1s"}}
    assert client.put(f"/policies/{thing_id}", json=_policy(subject, announcement)).status_code == 201
    with open_socket(server.base_url, user, query=f"declared-acks={label}") as announced:
        announced.control("START-SEND-POLICY-ANNOUNCEMENTS")
        assert client.delete(f"/policies/{thing_id}/entries/announced").status_code == 204
        first = _announcement(announced, thing_id)
        assert first["headers"]["requested-acks"] == [label]  # type: ignore[index]
        second = _announcement(announced, thing_id)  # not acknowledged: sent again
        correlation_id = second["headers"]["correlation-id"]  # type: ignore[index]
        assert correlation_id != first["headers"]["correlation-id"]  # type: ignore[index]
        assert second["value"] == first["value"]
        announced.send({"topic": topic(thing_id, f"things/twin/acks/{label}"), "path": "/", "status": 200,
                        "headers": {"correlation-id": correlation_id}})
        assert announced.no_frame(7.0)  # acknowledged: no third one (due within 1 s + a 2-4 s back-off + 1 s)


def test_namespaces_narrow_the_announcements(server: Server, client: httpx.Client, thing_id: str) -> None:
    """START-SEND-POLICY-ANNOUNCEMENTS takes `namespaces` (httpapi-protocol-bindings-websocket.md)."""
    user = _user()
    subject = f"nginx:{user}"
    assert client.put(f"/policies/{thing_id}", json=_policy(subject, {"whenDeleted": True})).status_code == 201
    with open_socket(server.base_url, user) as elsewhere, open_socket(server.base_url, user) as here:
        elsewhere.control("START-SEND-POLICY-ANNOUNCEMENTS?namespaces=some.other.namespace")
        here.control(f"START-SEND-POLICY-ANNOUNCEMENTS?namespaces={thing_id.split(':')[0]}")
        assert client.delete(f"/policies/{thing_id}/entries/announced").status_code == 204
        _announcement(here, thing_id)
        assert elsewhere.no_frame(2.0)


def test_a_stopped_subscription_gets_no_announcement(server: Server, client: httpx.Client, thing_id: str) -> None:
    """STOP-SEND-POLICY-ANNOUNCEMENTS ends the subscription."""
    user = _user()
    subject = f"nginx:{user}"
    assert client.put(f"/policies/{thing_id}", json=_policy(subject, {"whenDeleted": True})).status_code == 201
    with open_socket(server.base_url, user) as announced:
        announced.control("START-SEND-POLICY-ANNOUNCEMENTS")
        announced.control("STOP-SEND-POLICY-ANNOUNCEMENTS")
        assert client.delete(f"/policies/{thing_id}/entries/announced").status_code == 204
        assert announced.no_frame(3.0)


@pytest.mark.parametrize("announcement", [
    {"beforeExpiry": "1d"},  # beforeExpiry takes s, m and h only
    {"beforeExpiry": "soon"},
    {"beforeExpiry": "-5s"},
    {"whenDeleted": True, "randomizationInterval": "5 minutes"},
    {"whenDeleted": True, "requestedAcks": {"labels": [], "timeout": "ten"}},
])
def test_an_invalid_announcement_is_refused(client: httpx.Client, thing_id: str,
                                            announcement: dict[str, object]) -> None:
    """ImmutableSubjectAnnouncement.fromJson: a duration DittoDuration does not parse, or a `beforeExpiry` in
    another unit than s, m or h, is 400 `policies:subjectannouncement.invalid`."""
    response = client.put(f"/policies/{thing_id}", json=_policy("nginx:someone", announcement, _in(3600)))
    assert_error(response, 400, "policies:subjectannouncement.invalid")


def test_the_schedule_survives_a_restart(tmp_path: Path) -> None:
    """The schedule is stored with the policy (Ditto's policies service recovers a policy's SubjectExpiryActors
    from its journal): a server that never saw the write sends what an earlier one scheduled. Redelivered until
    acknowledged, the announcement reaches a session that subscribes only after the new server started."""
    env = {"TWINHUB_POLICY_EXPIRY_GRANULARITY": "1"}
    user, label = _user(), f"custom:{uuid.uuid4().hex[:8]}"
    policy_id = f"org.twinhub.test:{uuid.uuid4().hex[:10]}"
    expiry = _in(8)
    announcement = {"beforeExpiry": "3s", "randomizationInterval": "0s",
                    "requestedAcks": {"labels": [label], "timeout": "1s"}}
    with running_server(tmp_path / "data", env=env) as first, \
            httpx.Client(base_url=first.base_url + "/api/2", auth=("ditto", "any"), timeout=30) as client:
        response = client.put(f"/policies/{policy_id}", json=_policy(f"nginx:{user}", announcement, expiry))
        assert response.status_code == 201, response.text
    with running_server(tmp_path / "data", env=env) as second, \
            open_socket(second.base_url, user, query=f"declared-acks={label}") as announced:
        announced.control("START-SEND-POLICY-ANNOUNCEMENTS")
        frame = _announcement(announced, policy_id, timeout=30)
    assert frame["value"] == {"deleteAt": expiry, "subjectIds": [f"nginx:{user}"]}
