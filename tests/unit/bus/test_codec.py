from __future__ import annotations

import struct
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinhub.bus.base import Event
from twinhub.bus.codec import decode_event, encode_event, event_key
from twinhub.model.events import ConnectionEvent, PolicyEvent, ThingEvent
from twinhub.model.points import Point, PointValue
from twinhub.model.types import JsonValue

# Keys and strings with what JSON pointers and JSON escaping find hard: `~`, `/`, quotes, unicode.
text = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from('~/\\"~0~1'), max_size=12)
json_values: st.SearchStrategy[JsonValue] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=20,
)
pointers = st.lists(text, max_size=5).map(tuple)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC))
T = datetime(2024, 5, 1, 12, tzinfo=UTC)
T_TEXT = "2024-05-01T12:00:00.000000Z"  # T as the wire writes it
revisions = st.integers(min_value=0, max_value=2**63 - 1)
point_values: st.SearchStrategy[PointValue] = (
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | text)
point_times = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC))


@st.composite
def thing_events(draw: st.DrawFn) -> ThingEvent:
    thing_id, revision, timestamp = draw(text), draw(revisions), draw(moments)
    times = point_times | st.just(timestamp)  # a device's own time, or the event's
    points = draw(st.lists(st.builds(Point, thing_id=st.just(thing_id), path=text, time=times,
                                     value=point_values, revision=st.just(revision)), max_size=4))
    action = draw(st.sampled_from(["created", "modified", "merged", "migrated", "deleted"]))
    return ThingEvent(thing_id, action, draw(pointers), draw(json_values), revision, timestamp, points=tuple(points))


policy_events = st.builds(
    PolicyEvent,
    policy_id=text,
    action=st.sampled_from(["created", "modified", "deleted"]),
    path=pointers,
    value=json_values,
    revision=revisions,
    timestamp=moments,
)

connection_events = st.builds(
    ConnectionEvent,
    connection_id=text,
    action=st.sampled_from(["created", "modified", "deleted"]),
    value=json_values,
    revision=revisions,
    timestamp=moments,
)


def exactly(value: object) -> object:
    """`value` with every type made visible, so 1, 1.0 and True (or 0.0 and -0.0) never compare equal."""
    if isinstance(value, dict):
        return ("dict", [(key, exactly(item)) for key, item in value.items()])
    if isinstance(value, list | tuple):
        return (type(value).__name__, [exactly(item) for item in value])
    if isinstance(value, float):
        return ("float", struct.pack(">d", value))
    return (type(value).__name__, value)


def fields(event: Event) -> object:
    return exactly([type(event).__name__, *(getattr(event, name) for name in event.__slots__)])


@given(thing_events() | policy_events | connection_events)
def test_every_event_round_trips_exactly(event: Event) -> None:
    assert fields(decode_event(encode_event(event))) == fields(event)


def test_json_null_values_and_escaped_looking_keys_survive() -> None:
    event = ThingEvent(
        "org.example:lämp ~0", "merged", ("features", "a~1b", "/", "ü€😀"), {"on": None, "~0": [None]}, 7, T
    )

    decoded = decode_event(encode_event(event))

    assert decoded == event
    assert decoded.value == {"on": None, "~0": [None]}


def test_a_migrated_event_round_trips_with_its_patch_thing() -> None:
    """The `migrated` event of a definition migration crosses the bus (and NATS) as it was committed."""
    event = ThingEvent("org.example:lamp", "migrated", (), {"thingId": "org.example:lamp", "definition": "u",
                                                            "attributes": {"gone": None}}, 3, T)
    decoded = decode_event(encode_event(event))
    assert decoded == event and decoded.action == "migrated"


def test_a_deleted_thing_event_keeps_its_null_value() -> None:
    event = ThingEvent("org.example:lamp", "deleted", (), None, 3, T)

    assert decode_event(encode_event(event)) == event


def test_the_wire_form_names_the_kind_and_lists_the_path_keys() -> None:
    event = PolicyEvent("org.example:policy", "modified", ("entries", "owner"), {"subjects": {}}, 2, T)

    assert orjson.loads(encode_event(event)) == {
        "kind": "policy",
        "id": "org.example:policy",
        "action": "modified",
        "path": ["entries", "owner"],
        "value": {"subjects": {}},
        "revision": 2,
        "timestamp": T_TEXT,
    }


def test_the_command_headers_travel_with_the_event_but_only_when_there_are_any() -> None:
    headers = {"correlation-id": "c-1", "requested-acks": '["twin-persisted","conn:custom"]'}
    event = ThingEvent("a:b", "modified", ("x",), 1, 2, T, headers=headers)

    decoded = decode_event(encode_event(event))

    assert dict(decoded.headers) == headers
    assert "headers" not in orjson.loads(encode_event(ThingEvent("a:b", "modified", ("x",), 1, 2, T)))


def test_the_metadata_travels_with_a_thing_event_only_when_it_has_some() -> None:
    """Another worker's subscribers see the event's metadata (the Ditto Protocol payload's `metadata`) too."""
    event = ThingEvent("a:b", "modified", ("attributes", "t"), 1, 2, T, metadata={"unit": "C"})
    decoded = decode_event(encode_event(event))
    assert isinstance(decoded, ThingEvent) and decoded.metadata == {"unit": "C"}
    assert "metadata" not in orjson.loads(encode_event(ThingEvent("a:b", "modified", ("x",), 1, 2, T)))


def test_the_points_travel_with_the_event_as_path_value_and_their_own_time_only_when_there_are_any() -> None:
    device_time = T.replace(minute=5)
    points = (Point("a:b", "attributes/t", device_time, 21.5, 2), Point("a:b", "attributes/gone", T, None, 2))
    event = ThingEvent("a:b", "modified", ("attributes",), {"t": 21.5}, 2, T, points=points)

    body = orjson.loads(encode_event(event))

    # the time only where it is not the event's timestamp
    assert body["points"] == [["attributes/t", 21.5, 1714565100000000], ["attributes/gone", None]]
    assert decode_event(encode_event(event)).points == points
    assert "points" not in orjson.loads(encode_event(ThingEvent("a:b", "modified", ("x",), 1, 2, T)))


@pytest.mark.parametrize("points", [
    {"a": 1}, [["a"]], [["a", 1, 0, 0]], [["a", [1], 0]], [["a", [1]]], [["a", {}, 0]], [[1, 1, 0]],
    [["a", 1, "0"]], [["a", 1, True]],
    [["a", 1, 1.5]], [["a", 1, 10**18]],
])
def test_points_of_the_wrong_shape_are_refused(points: object) -> None:
    with pytest.raises(ValueError, match="point"):
        decode_event(orjson.dumps({**VALID, "points": points}))


def test_headers_that_are_not_strings_are_refused() -> None:
    with pytest.raises(ValueError, match="headers"):
        decode_event(orjson.dumps({**VALID, "headers": {"correlation-id": 1}}))


def test_unknown_fields_are_ignored_for_newer_writers() -> None:
    body = orjson.loads(encode_event(ThingEvent("a:b", "created", (), {}, 1, T)))
    body["addedLater"] = {"x": 1}

    assert decode_event(orjson.dumps(body)) == ThingEvent("a:b", "created", (), {}, 1, T)


def test_event_keys_tell_kind_id_and_revision_apart() -> None:
    thing = ThingEvent("a:b", "created", (), {}, 1, T)
    policy = PolicyEvent("a:b", "created", (), {}, 1, T)

    assert event_key(thing) == ("thing", "a:b", 1)
    assert event_key(policy) == ("policy", "a:b", 1)
    assert event_key(ThingEvent("a:b", "modified", ("x",), 2, 1, T.replace(hour=13))) == event_key(thing)


def test_a_value_that_is_not_json_cannot_be_encoded() -> None:
    with pytest.raises(ValueError, match="not JSON"):
        encode_event(ThingEvent("a:b", "modified", (), 2**64, 1, T))


VALID = {"kind": "thing", "id": "a:b", "action": "modified", "path": ["x"], "value": 1, "revision": 1,
         "timestamp": T_TEXT}


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[]",
        b"null",
        b'"thing"',
        b'{"kind": "thing"',
    ],
)
def test_data_that_is_not_a_json_object_is_refused(data: bytes) -> None:
    with pytest.raises(ValueError):
        decode_event(data)


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": "feature"},
        {"kind": None},
        {"kind": ["thing"]},
        {"id": 1},
        {"id": None},
        {"action": "exploded"},
        {"action": None},
        {"kind": "policy", "action": "merged"},  # policies are never merged
        {"path": "/x"},
        {"path": ["x", 1]},
        {"path": None},
        {"revision": "1"},
        {"revision": True},
        {"revision": -1},
        {"revision": 1.0},
        {"timestamp": 0},
        {"timestamp": "yesterday"},
    ],
)
def test_fields_of_the_wrong_type_or_value_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        decode_event(orjson.dumps(VALID | changes))


@pytest.mark.parametrize("name", ["kind", "id", "action", "path", "value", "revision", "timestamp"])
def test_a_missing_field_is_refused(name: str) -> None:
    body = {key: value for key, value in VALID.items() if key != name}

    with pytest.raises(ValueError):
        decode_event(orjson.dumps(body))


def test_a_valid_body_decodes() -> None:
    assert decode_event(orjson.dumps(VALID)) == ThingEvent("a:b", "modified", ("x",), 1, 1, T)


def test_a_connection_event_carries_the_whole_connection_at_the_root() -> None:
    event = ConnectionEvent("my-conn", "modified", {"id": "my-conn", "connectionStatus": "open"}, 2, T)
    body = orjson.loads(encode_event(event))
    assert body == {"kind": "connection", "id": "my-conn", "action": "modified", "path": [],
                    "value": {"id": "my-conn", "connectionStatus": "open"}, "revision": 2, "timestamp": T_TEXT}
    assert decode_event(encode_event(event)) == event
    assert event_key(event) == ("connection", "my-conn", 2)


def test_a_connection_event_with_a_path_or_a_thing_action_is_refused() -> None:
    body = {"kind": "connection", "id": "c", "action": "modified", "path": ["x"], "value": None, "revision": 1,
            "timestamp": T_TEXT}
    with pytest.raises(ValueError, match="path must be empty"):
        decode_event(orjson.dumps(body))
    with pytest.raises(ValueError, match="unknown connection event action"):
        decode_event(orjson.dumps({**body, "path": [], "action": "merged"}))
