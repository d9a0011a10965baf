"""Policy signals in the Ditto Protocol: `ns/name/policies/commands/{create|modify|retrieve|delete}` (no channel)
in, responses out, the `subjectDeletion` announcement, and the answer to `checkPermissions`.

Paths are the HTTP ones below `/policies/{policyId}` (`/entries/{label}/resources/thing:/a/b` names ONE
resource key, slashes and all). Responses follow the thing rules: create 201 + policy, modify 201 + value
or 204, retrieve 200 + value, delete 204.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from twinhub.model.errors import (
    JsonParseInvalid,
    PolicyIdNotSettable,
    ProtocolPathUnknown,
    ResourceNotFound,
    TopicPathUnknown,
)
from twinhub.model.fields import FieldSelector, parse_fields
from twinhub.model.ids import parse_policy_id
from twinhub.model.policy import classify_policy_path, parse_policy_path
from twinhub.model.types import MISSING, JsonObject, JsonValue, Missing, Pointer
from twinhub.protocol.envelope import Envelope, normalize_path
from twinhub.protocol.headers import APPLICATION_JSON, reply_headers
from twinhub.protocol.topic import Topic

__all__ = [
    "CHECK_PERMISSIONS",
    "PolicySignal",
    "PolicyVerb",
    "check_permissions_response",
    "policy_command",
    "policy_path",
    "policy_response",
    "policy_topic",
    "subject_deletion_announcement",
]

PolicyVerb = Literal["create", "modify", "retrieve", "delete"]
# The action of `_/_/policies/commands/checkPermissions` (Ditto 3.7's CheckPermissions): its value holds
# named checks as the body of `POST /api/2/checkPermissions` does, its response their verdicts.
CHECK_PERMISSIONS: Final = "checkPermissions"
_CHECK_PERMISSIONS_TOPIC: Final = Topic("_", "_", "policies", None, "commands", CHECK_PERMISSIONS)
_VERBS: dict[str, PolicyVerb] = {"create": "create", "modify": "modify", "retrieve": "retrieve", "delete": "delete"}


@dataclass(frozen=True, slots=True)
class PolicySignal:
    """A policy command; the WebSocket maps it to the policy service's command (`create` is create-only)."""

    action: PolicyVerb
    policy_id: str
    path: Pointer
    value: JsonValue | Missing
    fields: FieldSelector | None


def policy_command(envelope: Envelope) -> PolicySignal:
    """The policy command in `envelope`.

    Raises `protocoladapter:unknown.topicpath` (not a policy command; `create` below the root),
    `policies:id.invalid`, `protocoladapter:unknown.path`, `json.invalid` (create/modify without value),
    `policies:id.notsettable` (the policy JSON names another policy), `things:field.selection.invalid`.
    """
    topic = envelope.topic
    if topic.group != "policies" or topic.criterion != "commands" or topic.action not in _VERBS:
        raise TopicPathUnknown(str(topic), "The topic is not the topic of a policy command.")
    verb = _VERBS[topic.action]
    policy_id = str(parse_policy_id(topic.entity_id))
    path = policy_path(envelope.path)
    if verb == "create" and path:
        raise TopicPathUnknown(str(topic), path=envelope.path)
    value = envelope.value
    if verb in ("create", "modify"):
        if value is MISSING:
            raise JsonParseInvalid(f"The Ditto Protocol message of a '{verb}' at '{envelope.path}' has no 'value'.")
        if not path and isinstance(value, dict) and "policyId" in value and value["policyId"] != policy_id:
            raise PolicyIdNotSettable()
    fields = parse_fields(envelope.fields) if verb == "retrieve" and envelope.fields is not None else None
    return PolicySignal(verb, policy_id, path, value if verb in ("create", "modify") else MISSING, fields)


def check_permissions_response(request: Envelope, verdicts: JsonObject) -> Envelope:
    """The answer to a checkPermissions command: 200 with each named check's verdict, always on the topic
    `_/_/policies/commands/checkPermissions` (Ditto's CheckPermissionsResponseSignalMapper)."""
    return Envelope(topic=_CHECK_PERMISSIONS_TOPIC, headers=reply_headers(request.headers), path="/",
                    value=verdicts, status=200)


def policy_path(text: str) -> Pointer:
    """A policy path from the wire; `protocoladapter:unknown.path` (400) if it names no part of a policy."""
    path = parse_policy_path(text)
    if any(not key for key in path):
        raise ProtocolPathUnknown(text)
    try:
        classify_policy_path(path)
    except ResourceNotFound:
        raise ProtocolPathUnknown(text) from None
    return path


def policy_response(request: Envelope, status: int, value: JsonValue | Missing = MISSING, *,
                    headers: Mapping[str, JsonValue] | None = None) -> Envelope:
    """The response to the policy command `request`: same topic and path, `status`, the correlation-id."""
    return Envelope(
        topic=request.topic,
        headers=reply_headers(request.headers, extra=headers),
        path=normalize_path(request.path),
        value=value,
        status=status,
    )


def policy_topic(policy_id: str, criterion: Literal["commands", "events", "errors", "announcements"],
                 action: str | None) -> Topic:
    namespace, _, name = policy_id.partition(":")
    return Topic(namespace, name, "policies", None, criterion, action)


def subject_deletion_announcement(policy_id: str, *, subject_ids: Sequence[str], delete_at: str,
                                  headers: Mapping[str, JsonValue] | None = None) -> Envelope:
    """`ns/name/policies/announcements/subjectDeletion`: `subject_ids` of the policy expire at `delete_at`
    (ISO-8601)."""
    return Envelope(
        topic=policy_topic(policy_id, "announcements", "subjectDeletion"),
        headers={**(headers or {}), "content-type": APPLICATION_JSON},
        path="/",
        value={"deleteAt": delete_at, "subjectIds": list(subject_ids)},
    )
