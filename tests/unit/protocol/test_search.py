from __future__ import annotations

import orjson
import pytest

from twinhub.model.errors import ThingNotAccessible, TwinhubError
from twinhub.model.fields import parse_fields
from twinhub.protocol import (
    DEFAULT_PAGE_SIZE,
    Envelope,
    SearchCancel,
    SearchOptions,
    SearchRequest,
    SearchSubscribe,
    encode_envelope,
    parse_envelope,
    parse_search_options,
    search_command,
    search_complete,
    search_created,
    search_failed,
    search_next,
)
from twinhub.rql import SortOption, parse_options


def _envelope(action: str, value: object = ..., **fields: object) -> Envelope:
    message: dict[str, object] = {"topic": f"_/_/things/twin/search/{action}", "headers": {"correlation-id": "s-1"},
                                  "path": "/", **fields}
    if value is not ...:
        message["value"] = value
    return parse_envelope(orjson.dumps(message))


def _error(action: str, value: object = ..., **fields: object) -> TwinhubError:
    with pytest.raises(TwinhubError) as raised:
        search_command(_envelope(action, value, **fields))
    return raised.value


# --- commands ------------------------------------------------------------------------------------------


def test_subscribe_with_filter_options_namespaces_and_envelope_fields() -> None:
    value = {"filter": 'eq(attributes/room,"kitchen")', "options": "sort(-_modified),size(10)",
             "namespaces": ["org.eclipse.ditto", "com.acme"]}
    assert search_command(_envelope("subscribe", value, fields="thingId,attributes")) == SearchSubscribe(
        filter='eq(attributes/room,"kitchen")', options="sort(-_modified),size(10)",
        namespaces=("org.eclipse.ditto", "com.acme"), fields=parse_fields("thingId,attributes"))


def test_subscribe_without_value_searches_everything() -> None:
    assert search_command(_envelope("subscribe")) == SearchSubscribe(None, None, None, None)


def test_request_and_cancel() -> None:
    assert search_command(_envelope("request", {"subscriptionId": "42", "demand": 3})) == SearchRequest("42", 3)
    assert search_command(_envelope("request", {"subscriptionId": "42"})) == SearchRequest("42", 0)
    assert search_command(_envelope("cancel", {"subscriptionId": "42"})) == SearchCancel("42")


@pytest.mark.parametrize(("action", "value", "code"), [
    ("subscribe", [], "json.invalid"),
    ("subscribe", {"filter": 1}, "json.invalid"),
    ("subscribe", {"options": ["size(1)"]}, "json.invalid"),
    ("subscribe", {"namespaces": "a,b"}, "json.invalid"),
    ("subscribe", {"namespaces": [1]}, "json.invalid"),
    ("request", {"demand": 1}, "json.field.missing"),
    ("request", {"subscriptionId": 42, "demand": 1}, "json.invalid"),
    ("request", {"subscriptionId": "42", "demand": "1"}, "json.invalid"),
    ("request", {"subscriptionId": "42", "demand": 1.5}, "json.invalid"),
    ("request", {"subscriptionId": "42", "demand": True}, "json.invalid"),
    ("cancel", {}, "json.field.missing"),
])
def test_malformed_search_commands_are_rejected(action: str, value: object, code: str) -> None:
    assert _error(action, value).code == code


def test_events_are_no_search_commands() -> None:
    assert _error("created", {"subscriptionId": "1"}).code == "protocoladapter:unknown.topicpath"


# --- options ---------------------------------------------------------------------------------------------


def test_options_default_to_the_default_page_size_and_no_sort() -> None:
    assert parse_search_options(None) == SearchOptions(None, DEFAULT_PAGE_SIZE)
    assert parse_search_options("  ") == SearchOptions(None, 25)


def test_options_take_one_sort_and_one_size() -> None:
    sort = parse_options("sort(+thingId,-attributes/x)")[0]
    assert isinstance(sort, SortOption)
    assert parse_search_options("sort(+thingId,-attributes/x),size(200)") == SearchOptions(sort, 200)


@pytest.mark.parametrize(("text", "message"), [
    ("cursor(abc)", "The option 'cursor(abc)' is not supported at this endpoint."),
    ("limit(0,10)", "The option 'limit(0,10)' is not supported at this endpoint."),
    ("size(1),size(2)", "The option 'size(2)' was given more than once."),
    ("size(0)", "The page size must be between 1 and 200, not 0."),
    ("size(201)", "The page size must be between 1 and 200, not 201."),
])
def test_unsupported_or_out_of_range_options_are_option_invalid(text: str, message: str) -> None:
    with pytest.raises(TwinhubError) as raised:
        parse_search_options(text)
    assert raised.value.code == "thing-search:search.option.invalid"
    assert raised.value.message == message


def test_option_syntax_errors_and_unknown_sort_fields_are_option_invalid() -> None:
    for text in ("sort(", "sort(+nope)"):
        with pytest.raises(TwinhubError) as raised:
            parse_search_options(text)
        assert raised.value.code == "thing-search:search.option.invalid"


# --- events ----------------------------------------------------------------------------------------------


def test_created_next_complete_and_failed_events_echo_the_subscribes_correlation_id() -> None:
    request = _envelope("subscribe", {"filter": "exists(thingId)"})
    events = [
        search_created(request, "0"),
        search_next(request, "0", [{"thingId": "ns:a"}]),
        search_complete(request, "0"),
        search_failed(request, "0", ThingNotAccessible("ns:a")),
    ]
    decoded = [orjson.loads(encode_envelope(event)) for event in events]
    assert [event["topic"] for event in decoded] == [f"_/_/things/twin/search/{action}"
                                                     for action in ("created", "next", "complete", "failed")]
    assert all(event["path"] == "/" and event["headers"] == {"correlation-id": "s-1",
                                                             "content-type": "application/json"}
               for event in decoded)
    assert decoded[0]["value"] == {"subscriptionId": "0"}
    assert decoded[1]["value"] == {"subscriptionId": "0", "items": [{"thingId": "ns:a"}]}
    assert decoded[2]["value"] == {"subscriptionId": "0"}
    assert decoded[3]["value"]["subscriptionId"] == "0"
    assert decoded[3]["value"]["error"]["error"] == "things:thing.notfound"
    assert decoded[3]["value"]["error"]["status"] == 404
