"""Ditto Protocol topics: `{namespace}/{name}/{group}/{channel}/{criterion}/{action}`.

    parse_topic("org.acme/lamp-1/things/twin/commands/modify")
    -> Topic("org.acme", "lamp-1", "things", "twin", "commands", "modify")

Policies and connections have no channel segment (`ns/name/policies/commands/create`). The action is the
command or event verb, the search or streaming step, the acknowledgement label, the announcement name or
the message subject (which may contain `/`); `errors` and aggregated `acks` have none. `_` stands for any
namespace or name (`_/_/things/twin/search/subscribe`, `ns/_/things/twin/commands/retrieve`).

A topic that does not parse, or names a combination Ditto has no signal for, raises Ditto's
`protocoladapter:unknown.topicpath` (400); an acknowledgement label that breaks Ditto's pattern raises
`acknowledgement:label.invalid` (400).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final, Literal

from twinhub.model.errors import AcknowledgementLabelInvalid, TopicPathUnknown
from twinhub.model.headers import ACK_LABEL

__all__ = [
    "WILDCARD",
    "Channel",
    "Criterion",
    "Group",
    "Topic",
    "format_topic",
    "parse_topic",
]

Group = Literal["things", "policies", "connections"]
Channel = Literal["twin", "live"]
Criterion = Literal["commands", "events", "errors", "acks", "messages", "search", "streaming", "announcements"]

WILDCARD: Final = "_"

_GROUPS: Final[dict[str, Group]] = {"things": "things", "policies": "policies", "connections": "connections"}
_CHANNELS: Final[dict[str, Channel]] = {"twin": "twin", "live": "live"}
_CRITERIA: Final[dict[str, Criterion]] = {
    "commands": "commands", "events": "events", "errors": "errors", "acks": "acks", "messages": "messages",
    "search": "search", "streaming": "streaming", "announcements": "announcements",
}

# The verbs each group knows per criterion; criteria that carry free text (labels, subjects) are absent.
_STREAMING_ACTIONS: Final = frozenset(
    {"subscribeForPersistedEvents", "request", "cancel", "created", "next", "complete", "failed"})
_ACTIONS: Final[dict[tuple[Group, Criterion], frozenset[str]]] = {
    ("things", "commands"): frozenset({"create", "modify", "merge", "retrieve", "delete", "migrate"}),
    ("things", "events"): frozenset({"created", "modified", "merged", "migrated", "deleted"}),
    ("things", "search"): frozenset({"subscribe", "request", "cancel", "created", "next", "complete", "failed"}),
    ("things", "streaming"): _STREAMING_ACTIONS,
    ("policies", "commands"): frozenset({"create", "modify", "retrieve", "delete", "checkPermissions"}),
    ("policies", "events"): frozenset({"created", "modified", "deleted"}),
    ("policies", "announcements"): frozenset({"subjectDeletion"}),
    ("policies", "streaming"): _STREAMING_ACTIONS,
    ("connections", "announcements"): frozenset({"opened", "closed"}),
}
# Criteria whose last segment is free text: the message subject, the acknowledgement label.
_FREE_TEXT: Final[frozenset[tuple[Group, Criterion]]] = frozenset({("things", "messages"), ("things", "acks")})
# Criteria without an action at all.
_NO_ACTION: Final[frozenset[tuple[Group, Criterion]]] = frozenset(
    {("things", "errors"), ("policies", "errors"), ("connections", "errors")})
# Criteria bound to one channel: messages go to devices, search and history read the twin.
_ONLY_CHANNEL: Final[dict[Criterion, Channel]] = {"messages": "live", "search": "twin", "streaming": "twin"}


@dataclass(frozen=True, slots=True)
class Topic:
    """A parsed topic. Construction checks the combination (a misuse is a `ValueError`)."""

    namespace: str
    name: str
    group: Group
    channel: Channel | None
    criterion: Criterion
    action: str | None

    def __post_init__(self) -> None:
        problem = _problem(self)
        if problem is not None:
            raise ValueError(f"invalid topic {format_topic(self)!r}: {problem}")

    @property
    def entity_id(self) -> str:
        """`namespace:name`, the thing, policy or connection id the topic addresses."""
        return f"{self.namespace}:{self.name}"

    def __str__(self) -> str:
        return format_topic(self)


def format_topic(topic: Topic) -> str:
    """The topic's wire text; `parse_topic(format_topic(t)) == t` for every valid topic."""
    parts = [topic.namespace, topic.name, topic.group]
    if topic.channel is not None:
        parts.append(topic.channel)
    parts.append(topic.criterion)
    if topic.action is not None:
        parts.append(topic.action)
    return "/".join(parts)


def parse_topic(text: str) -> Topic:
    """Parse a topic; raises `protocoladapter:unknown.topicpath` (400) or `acknowledgement:label.invalid` (400).

    The namespace may be empty (Ditto's ids allow it: `/name/things/...`); every other segment must not be.
    """
    parts = text.split("/")
    if any(not part for part in parts[1:]):
        raise TopicPathUnknown(text, "The topic path contains an empty segment.")
    segments = iter(parts)
    namespace = next(segments)
    name = _next(segments, text, "entity name")
    group_name = _next(segments, text, "group")
    group = _GROUPS.get(group_name)
    if group is None:
        raise TopicPathUnknown(text, f"Group name <{group_name}> is unknown.")
    channel: Channel | None = None
    if group == "things":
        channel_name = _next(segments, text, "channel")
        channel = _CHANNELS.get(channel_name)
        if channel is None:
            raise TopicPathUnknown(text, f"Channel name <{channel_name}> is unknown.")
    criterion_name = _next(segments, text, "criterion")
    criterion = _CRITERIA.get(criterion_name)
    if criterion is None:
        raise TopicPathUnknown(text, f"Criterion name <{criterion_name}> is unknown.")
    rest = list(segments)
    action = "/".join(rest) if rest else None
    if (group, criterion) not in _FREE_TEXT and len(rest) > 1:
        raise TopicPathUnknown(text, "The topic path has more segments than its criterion allows.")
    if group == "things" and criterion == "acks" and action is not None and not ACK_LABEL.fullmatch(action):
        raise AcknowledgementLabelInvalid(action)
    topic_problem = _combination_problem(group, channel, criterion, action)
    if topic_problem is not None:
        raise TopicPathUnknown(text, topic_problem)
    return Topic(namespace, name, group, channel, criterion, action)


def _next(segments: Iterator[str], text: str, part: str) -> str:
    try:
        segment = next(segments)
    except StopIteration:
        raise TopicPathUnknown(text, f"The topic path has no {part} part.") from None
    return segment


def _problem(topic: Topic) -> str | None:
    """Why `topic` is not one Ditto knows, or None; shared by construction and parsing."""
    if "/" in topic.namespace or not topic.name or "/" in topic.name:
        return "the namespace and name must be single segments, the name not empty"
    if topic.group not in _GROUPS or topic.criterion not in _CRITERIA:
        return "unknown group or criterion"
    if (topic.group == "things") != (topic.channel is not None) or (
            topic.channel is not None and topic.channel not in _CHANNELS):
        return "things topics need a channel (twin or live), the others have none"
    if topic.action is not None:
        segments = topic.action.split("/")
        if any(not segment for segment in segments):
            return "the action must not contain empty segments"
        if (topic.group, topic.criterion) not in _FREE_TEXT and len(segments) > 1:
            return "only message subjects may contain '/'"
        if topic.criterion == "acks" and not ACK_LABEL.fullmatch(topic.action):
            return f"invalid acknowledgement label {topic.action!r}"
    return _combination_problem(topic.group, topic.channel, topic.criterion, topic.action)


def _combination_problem(group: Group, channel: Channel | None, criterion: Criterion,
                         action: str | None) -> str | None:
    key = (group, criterion)
    required_channel = _ONLY_CHANNEL.get(criterion)
    if required_channel is not None and channel is not None and channel != required_channel:
        return f"The criterion <{criterion}> is only supported on the <{required_channel}> channel."
    if key in _NO_ACTION:
        return None if action is None else f"The criterion <{criterion}> takes no action."
    if key in _FREE_TEXT:
        if action is None and criterion == "messages":
            return "Missing message subject."
        return None
    actions = _ACTIONS.get(key)
    if actions is None:
        return f"The criterion <{criterion}> is not supported for the group <{group}>."
    if action is None:
        return "The topic path has no action part."
    if action not in actions:
        return f"Action name <{action}> is unknown."
    return None
