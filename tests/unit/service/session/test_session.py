"""A Ditto Protocol session in process: commands answered on their topic by correlation-id, errors that
never end the session, control messages, and the session's credentials."""

from __future__ import annotations

import pytest

from tests.unit.service.live_world import OWNER, READER, STRANGER, THING_ID
from tests.unit.service.session.world import client, topic
from twinhub.auth.context import AuthContext
from twinhub.model.errors import AuthenticationFailed
from twinhub.service.session import CloseReason, SessionLimits, SessionServices

pytestmark = pytest.mark.anyio


# -- twin commands -----------------------------------------------------------------------------------


async def test_commands_are_answered_on_their_topic_by_their_correlation_id(world: SessionServices) -> None:
    thing_id = "org.twinhub.test:new"
    async with client(world) as owner:
        created = await owner.request({"topic": topic("things/twin/commands/create", thing_id), "path": "/",
                                       "value": {"attributes": {"on": False}}, "headers": {"correlation-id": "c1"}})
        assert (created["topic"], created["status"]) == (topic("things/twin/commands/create", thing_id), 201)
        assert created["value"]["attributes"] == {"on": False}

        modified = await owner.request({"topic": topic("things/twin/commands/modify", thing_id),
                                        "path": "/attributes/on", "value": True, "headers": {"correlation-id": "c2"}})
        assert modified["status"] == 204 and "value" not in modified

        retrieved = await owner.request({"topic": topic("things/twin/commands/retrieve", thing_id),
                                         "path": "/attributes", "headers": {"correlation-id": "c3"}})
        assert (retrieved["status"], retrieved["path"], retrieved["value"]) == (200, "/attributes", {"on": True})
        assert retrieved["headers"]["etag"]


async def test_a_command_that_requires_no_response_gets_none(world: SessionServices) -> None:
    async with client(world) as owner:  # one message at a time: the next output answers the next message
        await owner.send({"topic": topic("things/twin/commands/modify"), "path": "/attributes/quiet", "value": 1,
                          "headers": {"correlation-id": "quiet", "response-required": False}})
        answer = await owner.request({"topic": topic("things/twin/commands/retrieve"), "path": "/attributes/quiet",
                                      "headers": {"correlation-id": "loud"}})
    assert answer["value"] == 1


async def test_retrieving_several_things_leaves_out_what_the_subject_may_not_read(world: SessionServices) -> None:
    async with client(world, READER) as reader:
        retrieved = await reader.request({
            "topic": "org.twinhub.test/_/things/twin/commands/retrieve", "path": "/", "fields": "thingId,attributes",
            "value": {"thingIds": [THING_ID, "org.twinhub.test:missing"]}, "headers": {}})
    assert retrieved["status"] == 200
    assert retrieved["value"] == [{"thingId": THING_ID, "attributes": {"model": "T1", "polling": True}}]


async def test_policy_commands_use_the_policy_service(world: SessionServices) -> None:
    namespace, name = THING_ID.split(":")
    async with client(world) as owner:
        retrieved = await owner.request({"topic": f"{namespace}/{name}/policies/commands/retrieve",
                                         "path": "/entries/reader/subjects", "headers": {}})
        conflict = await owner.request({"topic": f"{namespace}/{name}/policies/commands/create", "path": "/",
                                        "value": {"entries": {}}, "headers": {}})
    assert (retrieved["status"], list(retrieved["value"])) == (200, ["nginx:reader"])
    assert conflict["status"] in (409, 412)


# -- errors ------------------------------------------------------------------------------------------


async def test_an_error_is_answered_on_the_requests_topic_with_its_correlation_id(world: SessionServices) -> None:
    async with client(world, STRANGER) as stranger:
        missing = await stranger.request({"topic": topic("things/twin/commands/retrieve"), "path": "/",
                                          "headers": {"correlation-id": "mine"}})
        assert (missing["topic"], missing["status"]) == (topic("things/twin/errors"), 404)
        assert missing["value"]["error"] == "things:thing.notfound"

        live = await stranger.request({"topic": topic("things/live/messages/ask"), "path": "/inbox/messages/ask",
                                       "value": "?", "headers": {"content-type": "text/plain"}})
        assert (live["topic"], live["status"]) == (topic("things/live/errors"), 403)


@pytest.mark.parametrize(("text", "error"), [
    ('{"topic": ', "json.invalid"),
    ('{"topic": "a/b/c", "path": "/", "headers": {}}', "protocoladapter:unknown.topicpath"),
    ("START-SEND-EVERYTHING", "gateway:websocket.message.invalid"),
    (b"\xff\xfe", "gateway:websocket.message.invalid"),
    ("x" * 201, "gateway:websocket.message.invalid"),  # past the frame size limit
    ("é" * 101, "gateway:websocket.message.invalid"),  # 101 characters, 202 bytes: the limit counts bytes
    ("é".encode() * 101, "gateway:websocket.message.invalid"),
])
async def test_what_cannot_be_read_is_a_400_and_the_session_goes_on(world: SessionServices, text: str | bytes,
                                                                     error: str) -> None:
    async with client(world, limits=SessionLimits(max_frame_size=200)) as owner:
        await owner.send_text(text)
        refused = await owner.frame()
        assert (refused["topic"], refused["status"], refused["value"]["error"]) == (
            "unknown/unknown/things/twin/errors", 400, error)
        answer = await owner.request({"topic": topic("things/twin/commands/retrieve"), "path": "/attributes/model",
                                      "headers": {}})
    assert answer["status"] == 200, answer


# -- credentials -------------------------------------------------------------------------------------


async def test_expired_credentials_close_the_session_as_a_policy_violation(world: SessionServices) -> None:
    expired = AuthContext(OWNER, expires_at=999.0)
    async with client(world, auth=expired, clock=lambda: 1000.0) as owner:
        closing = await owner.closing()
    assert closing.reason is CloseReason.POLICY_VIOLATION
    assert closing.message.startswith("gateway:websocket.session.expired:")


async def test_a_refresh_must_keep_the_subject_and_authenticate(world: SessionServices) -> None:
    async def refresh(token: str) -> AuthContext:
        if token == "bad":
            raise AuthenticationFailed("The token is not valid.")
        return AuthContext(READER if token == "reader" else OWNER)

    async with client(world, refresh=refresh) as owner:
        await owner.send_text("JWT-TOKEN?jwtToken=owner")
        await owner.send_text("JWT-TOKEN?jwtToken=reader")
        changed = await owner.closing()
    async with client(world, refresh=refresh) as owner:
        await owner.send_text("JWT-TOKEN?jwtToken=bad")
        refused = await owner.closing()
    assert changed.reason is CloseReason.POLICY_VIOLATION
    assert changed.message.startswith("gateway:websocket.session.closed:")
    assert refused.message.startswith("gateway:authentication.failed:")


async def test_a_session_without_refresh_takes_no_token(world: SessionServices) -> None:
    async with client(world) as owner:
        await owner.send_text("JWT-TOKEN?jwtToken=anything")
        refused = await owner.frame()
    assert (refused["status"], refused["value"]["error"]) == (400, "gateway:websocket.message.invalid")


@pytest.mark.parametrize(("header", "status"), [({}, 403), ({"allow-policy-lockout": True}, 201),
                                                ({"allow-policy-lockout": "false"}, 403)])
async def test_creating_a_thing_whose_policy_locks_its_creator_out_needs_allow_policy_lockout(
        world: SessionServices, header: dict[str, object], status: int) -> None:
    thing_id = "org.twinhub.test:locked-out"
    policy = {"entries": {"OTHER": {"subjects": {"nginx:someone-else": {"type": "user"}},
                                    "resources": {"thing:/": {"grant": ["READ", "WRITE"], "revoke": []},
                                                  "policy:/": {"grant": ["READ", "WRITE"], "revoke": []}}},
                          "CREATOR": {"subjects": {OWNER[0]: {"type": "user"}},
                                      "resources": {"thing:/": {"grant": ["READ", "WRITE"], "revoke": []}}}}}
    async with client(world) as owner:
        answer = await owner.request({"topic": topic("things/twin/commands/create", thing_id), "path": "/",
                                      "headers": {"response-required": True, **header},
                                      "value": {"_policy": policy}})
    assert answer["status"] == status, answer
    if status == 403:  # the policy's refusal refuses the thing (ThingEnforcerActor.reportInitialPolicyCreationFailure)
        assert answer["value"]["error"] == "things:thing.notcreatable"
