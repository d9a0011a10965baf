from __future__ import annotations

import orjson
import pytest

from twinhub.model.errors import PolicyNotAccessible, ThingConflict, ThingNotAccessible, TwinhubError
from twinhub.protocol import (
    ProtocolError,
    encode_envelope,
    error_envelope,
    error_topic,
    parse_envelope,
    parse_topic,
)


def test_a_thing_error_answers_on_the_things_errors_topic_with_the_error_json() -> None:
    request = parse_topic("org.eclipse.ditto/fancy-thing/things/twin/commands/create")
    reply = error_envelope(ThingConflict("org.eclipse.ditto:fancy-thing"), topic=request,
                           headers={"correlation-id": "c-1", "response-required": True})
    assert orjson.loads(encode_envelope(reply)) == {
        "topic": "org.eclipse.ditto/fancy-thing/things/twin/errors",
        "headers": {"correlation-id": "c-1", "content-type": "application/json"},
        "path": "/",
        "value": {"status": 409, "error": "things:thing.conflict",
                  "message": "The Thing with ID 'org.eclipse.ditto:fancy-thing' already exists.",
                  "description": "Choose another Thing ID."},
        "status": 409,
    }


def test_live_errors_stay_on_the_live_channel() -> None:
    request = parse_topic("ns/thing/things/live/commands/retrieve")
    assert str(error_topic(request, ThingNotAccessible("ns:thing"))) == "ns/thing/things/live/errors"


def test_policy_errors_have_no_channel() -> None:
    request = parse_topic("ns/policy/policies/commands/retrieve")
    assert str(error_topic(request, PolicyNotAccessible("ns:policy"))) == "ns/policy/policies/errors"


def test_connection_errors_keep_their_group() -> None:
    request = parse_topic("_/conn/connections/announcements/opened")
    assert str(error_topic(request, TwinhubError("x", 400, "m"))) == "_/conn/connections/errors"


def test_search_errors_answer_on_the_things_errors_topic_of_the_wildcard() -> None:
    request = parse_topic("_/_/things/twin/search/subscribe")
    assert str(error_topic(request, TwinhubError("x", 400, "m"))) == "_/_/things/twin/errors"


@pytest.mark.parametrize(("code", "topic"), [("json.invalid", "unknown/unknown/things/twin/errors"),
                                             ("policies:policy.notfound", "unknown/unknown/policies/errors")])
def test_without_a_topic_ditto_answers_for_its_fallback_entity(code: str, topic: str) -> None:
    assert str(error_topic(None, TwinhubError(code, 400, "m"))) == topic


def test_a_protocol_error_brings_its_own_topic_and_headers() -> None:
    with pytest.raises(ProtocolError) as raised:
        parse_envelope(b'{"topic":"ns/thing/things/twin/commands/modify","headers":{"correlation-id":"c-7",'
                       b'"timeout":"2h"},"path":"/"}')
    reply = error_envelope(raised.value)
    assert str(reply.topic) == "ns/thing/things/twin/errors"
    assert reply.headers == {"correlation-id": "c-7", "content-type": "application/json"}
    assert reply.status == 400
    assert isinstance(reply.value, dict) and reply.value["error"] == "timeout.invalid"


def test_explicit_topic_and_headers_win_over_those_of_a_protocol_error() -> None:
    error = ProtocolError(TwinhubError("x", 400, "m"), topic=None, headers={"correlation-id": "old"})
    reply = error_envelope(error, topic=parse_topic("ns/t/things/twin/commands/delete"),
                           headers={"correlation-id": "new"})
    assert str(reply.topic) == "ns/t/things/twin/errors"
    assert reply.headers["correlation-id"] == "new"


def test_an_error_without_description_has_none_in_its_json() -> None:
    reply = error_envelope(TwinhubError("x.y", 500, "boom"))
    assert reply.value == {"status": 500, "error": "x.y", "message": "boom"}
    assert reply.headers == {"content-type": "application/json"}
