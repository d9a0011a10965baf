from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinhub.model.errors import AcknowledgementLabelInvalid, TopicPathUnknown
from twinhub.protocol import WILDCARD, Topic, format_topic, parse_topic

# --- examples from Ditto's topic documentation -------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("org.eclipse.ditto/fancy-car-1/things/twin/commands/create",
     Topic("org.eclipse.ditto", "fancy-car-1", "things", "twin", "commands", "create")),
    ("org.eclipse.ditto/fancy-car-23/things/twin/commands/merge",
     Topic("org.eclipse.ditto", "fancy-car-23", "things", "twin", "commands", "merge")),
    ("org.eclipse.ditto/fancy-car-0815/things/live/events/modified",
     Topic("org.eclipse.ditto", "fancy-car-0815", "things", "live", "events", "modified")),
    ("org.eclipse.ditto/fancy-car-42/things/live/messages/hello.world",
     Topic("org.eclipse.ditto", "fancy-car-42", "things", "live", "messages", "hello.world")),
    ("org.eclipse.ditto/fancy-policy-1/policies/commands/create",
     Topic("org.eclipse.ditto", "fancy-policy-1", "policies", None, "commands", "create")),
    ("org.eclipse.ditto/fancy-policy-1/policies/announcements/subjectDeletion",
     Topic("org.eclipse.ditto", "fancy-policy-1", "policies", None, "announcements", "subjectDeletion")),
    ("org.eclipse.ditto/fancy-thing/things/twin/errors",
     Topic("org.eclipse.ditto", "fancy-thing", "things", "twin", "errors", None)),
    ("org.eclipse.ditto/the_policy_id/policies/errors",
     Topic("org.eclipse.ditto", "the_policy_id", "policies", None, "errors", None)),
    ("ns/thing/things/twin/acks/my-connection:custom",
     Topic("ns", "thing", "things", "twin", "acks", "my-connection:custom")),
    ("ns/thing/things/live/acks", Topic("ns", "thing", "things", "live", "acks", None)),
    ("_/_/things/twin/search/subscribe", Topic("_", "_", "things", "twin", "search", "subscribe")),
    ("ns/_/things/twin/commands/retrieve", Topic("ns", "_", "things", "twin", "commands", "retrieve")),
    ("ns/thing/things/twin/streaming/subscribeForPersistedEvents",
     Topic("ns", "thing", "things", "twin", "streaming", "subscribeForPersistedEvents")),
    ("ns/policy/policies/streaming/next", Topic("ns", "policy", "policies", None, "streaming", "next")),
    ("_/my-connection/connections/announcements/opened",
     Topic("_", "my-connection", "connections", None, "announcements", "opened")),
])
def test_valid_topics_parse_into_their_segments(text: str, expected: Topic) -> None:
    assert parse_topic(text) == expected
    assert format_topic(expected) == text
    assert str(expected) == text


def test_message_subjects_keep_their_slashes() -> None:
    topic = parse_topic("org.eclipse.ditto/smartcoffee/things/live/messages/ask/question")
    assert topic.action == "ask/question"
    assert format_topic(topic) == "org.eclipse.ditto/smartcoffee/things/live/messages/ask/question"


def test_entity_id_joins_namespace_and_name() -> None:
    assert parse_topic("org.acme/lamp:1/things/twin/commands/retrieve").entity_id == "org.acme:lamp:1"


def test_an_empty_namespace_is_allowed_as_in_ditto_ids() -> None:
    topic = parse_topic("/lamp/things/twin/commands/delete")
    assert topic.namespace == ""
    assert topic.entity_id == ":lamp"


def test_wildcard_is_the_underscore() -> None:
    assert WILDCARD == "_"


# --- rejections --------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "description"), [
    ("", "The topic path has no entity name part."),
    ("ns", "The topic path has no entity name part."),
    ("ns/thing", "The topic path has no group part."),
    ("ns/thing/gadgets/twin/commands/modify", "Group name <gadgets> is unknown."),
    ("ns/thing/things", "The topic path has no channel part."),
    ("ns/thing/things/mirror/commands/modify", "Channel name <mirror> is unknown."),
    ("ns/thing/things/twin", "The topic path has no criterion part."),
    ("ns/thing/things/twin/orders/modify", "Criterion name <orders> is unknown."),
    ("ns/thing/things/twin/commands", "The topic path has no action part."),
    ("ns/thing/things/twin/commands/frobnicate", "Action name <frobnicate> is unknown."),
    ("ns/thing/things/twin/events/create", "Action name <create> is unknown."),
    ("ns/thing/things/twin/commands/modify/more", "The topic path has more segments than its criterion allows."),
    ("ns/thing/things/twin/errors/extra", "The criterion <errors> takes no action."),
    ("ns/thing/things/live/messages", "Missing message subject."),
    ("ns/thing/things/twin/messages/hello", "The criterion <messages> is only supported on the <live> channel."),
    ("_/_/things/live/search/subscribe", "The criterion <search> is only supported on the <twin> channel."),
    ("ns/policy/policies/commands/merge", "Action name <merge> is unknown."),
    ("ns/policy/policies/twin/commands/modify", "Criterion name <twin> is unknown."),
    ("ns/thing/things/twin/announcements/subjectDeletion",
     "The criterion <announcements> is not supported for the group <things>."),
    ("ns//things/twin/commands/modify", "The topic path contains an empty segment."),
    ("ns/thing/things/twin/commands/modify/", "The topic path contains an empty segment."),
    ("ns/thing/things/live/messages/ask//question", "The topic path contains an empty segment."),
])
def test_invalid_topics_raise_dittos_unknown_topic_path(text: str, description: str) -> None:
    with pytest.raises(TopicPathUnknown) as raised:
        parse_topic(text)
    assert raised.value.code == "protocoladapter:unknown.topicpath"
    assert raised.value.status == 400
    assert raised.value.message == f"The topic path '{text}' is not supported."
    assert raised.value.description == description


@pytest.mark.parametrize("label", ["ab", "a" * 101, "bad label", "sl/ash", "ümlaut"])
def test_invalid_ack_labels_raise_label_invalid(label: str) -> None:
    with pytest.raises(AcknowledgementLabelInvalid) as raised:
        parse_topic(f"ns/thing/things/twin/acks/{label}")
    assert raised.value.code == "acknowledgement:label.invalid"
    assert raised.value.status == 400


def test_building_an_impossible_topic_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="channel"):
        Topic("ns", "thing", "policies", "twin", "commands", "create")
    with pytest.raises(ValueError, match="Action name"):
        Topic("ns", "thing", "things", "twin", "commands", "created")
    with pytest.raises(ValueError, match="label"):
        Topic("ns", "thing", "things", "twin", "acks", "x")


# --- round trip ----------------------------------------------------------------------------------

_segment = st.text(alphabet=st.characters(exclude_characters="/", exclude_categories=["Cs"]), min_size=1,
                   max_size=12)
_label = st.from_regex(r"[a-zA-Z0-9\-_:]{3,20}", fullmatch=True)
_subject = st.lists(_segment, min_size=1, max_size=3).map("/".join)

_VERBS = {
    ("things", "commands"): ["create", "modify", "merge", "retrieve", "delete"],
    ("things", "events"): ["created", "modified", "merged", "migrated", "deleted"],
    ("things", "search"): ["subscribe", "request", "cancel", "created", "next", "complete", "failed"],
    ("things", "streaming"): ["subscribeForPersistedEvents", "request", "cancel", "next"],
    ("policies", "commands"): ["create", "modify", "retrieve", "delete", "checkPermissions"],
    ("policies", "events"): ["created", "modified", "deleted"],
    ("policies", "announcements"): ["subjectDeletion"],
    ("policies", "streaming"): ["subscribeForPersistedEvents", "complete"],
    ("connections", "announcements"): ["opened", "closed"],
}


@st.composite
def topics(draw: st.DrawFn) -> Topic:
    namespace = draw(st.one_of(st.just(""), _segment))
    name = draw(_segment)
    kind = draw(st.sampled_from([*_VERBS, ("things", "errors"), ("policies", "errors"), ("things", "acks"),
                                 ("things", "messages")]))
    group, criterion = kind
    action: str | None
    if kind in _VERBS:
        action = draw(st.sampled_from(_VERBS[kind]))
    elif criterion == "acks":
        action = draw(st.one_of(st.none(), _label))
    elif criterion == "messages":
        action = draw(_subject)
    else:
        action = None
    if group != "things":
        channel = None
    elif criterion == "messages":
        channel = "live"
    elif criterion in ("search", "streaming"):
        channel = "twin"
    else:
        channel = draw(st.sampled_from(["twin", "live"]))
    return Topic(namespace, name, group, channel, criterion, action)  # type: ignore[arg-type]


@given(topics())
def test_format_then_parse_gives_the_topic_back(topic: Topic) -> None:
    text = format_topic(topic)
    assert parse_topic(text) == topic
    assert format_topic(parse_topic(text)) == text
