from __future__ import annotations

import orjson
import pytest

from twinhub.model.errors import TwinhubError
from twinhub.model.fields import parse_fields
from twinhub.model.types import MISSING, JsonObject
from twinhub.protocol import (
    Envelope,
    PolicySignal,
    encode_envelope,
    parse_envelope,
    policy_command,
    policy_response,
    subject_deletion_announcement,
)

_P = "org.eclipse.ditto/the_policy_id/policies/commands/"
_POLICY: JsonObject = {
    "policyId": "org.eclipse.ditto:the_policy_id",
    "entries": {"owner": {"subjects": {"nginx:ditto": {"type": "pre-authenticated"}},
                          "resources": {"thing:/": {"grant": ["READ", "WRITE"], "revoke": []}}}},
}


def _envelope(topic: str, path: str = "/", value: object = ..., **fields: object) -> Envelope:
    message: dict[str, object] = {"topic": topic, "headers": {"correlation-id": "p-1"}, "path": path}
    if value is not ...:
        message["value"] = value
    message.update(fields)
    return parse_envelope(orjson.dumps(message))


def _error(topic: str, path: str = "/", value: object = ...) -> TwinhubError:
    with pytest.raises(TwinhubError) as raised:
        policy_command(_envelope(topic, path, value))
    return raised.value


def test_create_policy() -> None:
    assert policy_command(_envelope(_P + "create", "/", _POLICY)) == PolicySignal(
        "create", "org.eclipse.ditto:the_policy_id", (), _POLICY, None)


@pytest.mark.parametrize(("path", "pointer"), [
    ("/entries", ("entries",)),
    ("/entries/owner", ("entries", "owner")),
    ("/entries/owner/subjects", ("entries", "owner", "subjects")),
    ("/entries/owner/subjects/nginx:ditto", ("entries", "owner", "subjects", "nginx:ditto")),
    ("/entries/owner/resources", ("entries", "owner", "resources")),
    ("/entries/owner/resources/thing:/features/lamp", ("entries", "owner", "resources", "thing:/features/lamp")),
    ("/entries/owner/namespaces", ("entries", "owner", "namespaces")),
    ("/imports", ("imports",)),
    ("/imports/ns:other", ("imports", "ns:other")),
])
def test_modify_of_every_part_of_a_policy(path: str, pointer: tuple[str, ...]) -> None:
    signal = policy_command(_envelope(_P + "modify", path, {"x": 1}))
    assert signal == PolicySignal("modify", "org.eclipse.ditto:the_policy_id", pointer, {"x": 1}, None)


def test_retrieve_with_fields_and_delete_without_value() -> None:
    assert policy_command(_envelope(_P + "retrieve", "/", fields="policyId,_revision")) == PolicySignal(
        "retrieve", "org.eclipse.ditto:the_policy_id", (), MISSING, parse_fields("policyId,_revision"))
    assert policy_command(_envelope(_P + "delete", "/entries/owner", {"ignored": 1})) == PolicySignal(
        "delete", "org.eclipse.ditto:the_policy_id", ("entries", "owner"), MISSING, None)


@pytest.mark.parametrize("verb", ["create", "modify"])
def test_writes_without_value_are_json_invalid(verb: str) -> None:
    assert _error(_P + verb).code == "json.invalid"


def test_a_policy_id_in_the_value_must_match_the_topic() -> None:
    assert _error(_P + "modify", "/", {**_POLICY, "policyId": "ns:other"}).code == "policies:id.notsettable"


def test_create_below_the_root_is_an_unknown_topic_at_that_path() -> None:
    assert _error(_P + "create", "/entries/owner", {}).code == "protocoladapter:unknown.topicpath"


@pytest.mark.parametrize("path", ["/owner", "/entries/owner/grants", "/imports/a/b/c"])
def test_unknown_parts_of_a_policy_are_unknown_path(path: str) -> None:
    assert _error(_P + "retrieve", path).code == "protocoladapter:unknown.path"


def test_invalid_policy_ids_and_foreign_topics_are_rejected() -> None:
    assert _error("bad ns/p/policies/commands/retrieve").code == "policies:id.invalid"
    assert _error("ns/p/things/twin/commands/retrieve").code == "protocoladapter:unknown.topicpath"


def test_policy_responses_keep_topic_and_path_and_echo_the_correlation_id() -> None:
    request = _envelope(_P + "modify", "/entries/owner", {"x": 1})
    assert orjson.loads(encode_envelope(policy_response(request, 201, {"x": 1}))) == {
        "topic": _P + "modify",
        "headers": {"correlation-id": "p-1", "content-type": "application/json"},
        "path": "/entries/owner",
        "value": {"x": 1},
        "status": 201,
    }


def test_subject_deletion_announcement() -> None:
    envelope = subject_deletion_announcement(
        "org.eclipse.ditto:the_policy_id", subject_ids=["integration:a", "integration:b"],
        delete_at="2021-03-03T16:05:55Z", headers={"correlation-id": "a-1"})
    assert orjson.loads(encode_envelope(envelope)) == {
        "topic": "org.eclipse.ditto/the_policy_id/policies/announcements/subjectDeletion",
        "headers": {"correlation-id": "a-1", "content-type": "application/json"},
        "path": "/",
        "value": {"deleteAt": "2021-03-03T16:05:55Z", "subjectIds": ["integration:a", "integration:b"]},
    }
