from __future__ import annotations

import pytest

from twinhub.model.errors import HeaderInvalid, TimeoutInvalid
from twinhub.model.events import format_timestamp
from twinhub.model.headers import (
    parse_bool,
    parse_if_equal,
    parse_requested_acks,
    parse_timeout,
    parse_timestamp,
)
from twinhub.model.types import JsonValue
from twinhub.protocol import header_text, normalize_headers, reply_headers, signal_headers

# --- the pure header values (twinhub.model.headers, shared with the HTTP API) ---------------------


@pytest.mark.parametrize(("text", "seconds"), [("42", 42.0), ("42s", 42.0), ("250ms", 0.25), ("1m", 60.0),
                                               (" 0 ", 0.0)])
def test_timeouts_are_seconds_milliseconds_or_minutes(text: str, seconds: float) -> None:
    assert parse_timeout(text) == seconds


@pytest.mark.parametrize("text", ["61s", "2m", "abc", "-1", "1h"])
def test_timeouts_beyond_a_minute_or_malformed_are_invalid(text: str) -> None:
    with pytest.raises(TimeoutInvalid):
        parse_timeout(text)


def test_a_timeout_may_go_up_to_a_given_maximum_and_names_it_when_it_goes_beyond() -> None:
    assert parse_timeout("10m", maximum=600) == 600.0
    with pytest.raises(TimeoutInvalid, match="maximum of <600s>"):
        parse_timeout("601s", maximum=600)


def test_requested_acks_accept_a_json_array_or_a_comma_list_without_duplicates() -> None:
    assert parse_requested_acks('["twin-persisted","c:x"]') == ("twin-persisted", "c:x")
    assert parse_requested_acks("twin-persisted, c:x,twin-persisted") == ("twin-persisted", "c:x")
    assert parse_requested_acks("") == ()


@pytest.mark.parametrize("text", ["[1]", "[bad", "ab", "has space"])
def test_requested_acks_with_bad_labels_are_invalid(text: str) -> None:
    with pytest.raises(HeaderInvalid):
        parse_requested_acks(text)


def test_booleans_and_if_equal_ignore_case() -> None:
    assert parse_bool("response-required", "TRUE") is True
    assert parse_if_equal("Skip-Minimizing-Merge") == "skip-minimizing-merge"
    with pytest.raises(HeaderInvalid):
        parse_bool("response-required", "yes")
    with pytest.raises(HeaderInvalid):
        parse_if_equal("never")


def test_timestamps_are_normalised_to_utc() -> None:
    assert format_timestamp(parse_timestamp("at", "2024-01-02T03:04:05+01:00")) == "2024-01-02T02:04:05.000000Z"
    with pytest.raises(HeaderInvalid):
        parse_timestamp("at", "yesterday")


def test_api_headers_still_exports_the_moved_functions() -> None:
    import twinhub.api.headers as api

    assert api.parse_timeout is parse_timeout
    assert api.parse_requested_acks is parse_requested_acks
    assert api.TWIN_PERSISTED == "twin-persisted"
    assert api.SEARCH_PERSISTED == "search-persisted"


# --- Ditto Protocol headers ------------------------------------------------------------------------


def test_header_names_are_lower_cased_and_values_kept() -> None:
    headers = normalize_headers({"Correlation-ID": "c-1", "Response-Required": False, "version": 2,
                                 "requested-acks": ["twin-persisted"]})
    assert headers == {"correlation-id": "c-1", "response-required": False, "version": 2,
                       "requested-acks": ["twin-persisted"]}


@pytest.mark.parametrize("name", ["ditto-originator", "Ditto-Auth-Context", "channel", "raw-request-url",
                                  "read-subjects", "subject", "timeout-access"])
def test_headers_ditto_keeps_for_itself_are_dropped(name: str) -> None:
    assert normalize_headers({name: "forged", "correlation-id": "c"}) == {"correlation-id": "c"}


def test_header_text_reads_non_strings_as_json() -> None:
    headers: dict[str, JsonValue] = {"a": "text", "b": True, "c": ["x"], "d": None}
    assert header_text(headers, "a") == "text"
    assert header_text(headers, "b") == "true"
    assert header_text(headers, "c") == '["x"]'
    assert header_text(headers, "d") is None
    assert header_text(headers, "missing") is None


def test_signal_headers_default_to_a_required_response_within_sixty_seconds() -> None:
    read = signal_headers({}, default_acks=("twin-persisted",))
    assert read.correlation_id is None
    assert read.response_required is True
    assert read.requested_acks == ("twin-persisted",)
    assert read.timeout == 60.0
    assert read.if_equal == "update"


@pytest.mark.parametrize("value", [False, "false", "FALSE"])
def test_response_required_may_be_a_boolean_or_its_text(value: JsonValue) -> None:
    assert signal_headers({"response-required": value}).response_required is False


def test_requested_acks_may_be_an_array_or_a_comma_string() -> None:
    assert signal_headers({"requested-acks": ["a-b", "c:d"]}).requested_acks == ("a-b", "c:d")
    assert signal_headers({"requested-acks": "a-b,c:d"}).requested_acks == ("a-b", "c:d")
    assert signal_headers({"requested-acks": []}, default_acks=("twin-persisted",)).requested_acks == ()


@pytest.mark.parametrize("headers", [
    {"response-required": "maybe"}, {"response-required": 1}, {"requested-acks": [1]},
    {"requested-acks": ["x"]}, {"requested-acks": {"a": 1}}, {"if-equal": "sometimes"},
])
def test_malformed_signal_headers_are_header_invalid(headers: dict[str, JsonValue]) -> None:
    with pytest.raises(HeaderInvalid):
        signal_headers(headers)


def test_timeout_zero_means_fire_and_forget() -> None:
    read = signal_headers({"timeout": "0"}, default_acks=("twin-persisted",))
    assert read.response_required is False
    assert read.requested_acks == ()


@pytest.mark.parametrize("headers", [{"timeout": "0", "response-required": True},
                                     {"timeout": "0", "requested-acks": ["twin-persisted"]},
                                     {"timeout": "90s"}])
def test_contradicting_or_too_long_timeouts_are_timeout_invalid(headers: dict[str, JsonValue]) -> None:
    with pytest.raises(TimeoutInvalid):
        signal_headers(headers)


def test_reply_headers_echo_the_correlation_id_then_add_the_content_type_and_extras() -> None:
    request: dict[str, JsonValue] = {"correlation-id": "c-9", "response-required": True}
    assert reply_headers(request, extra={"etag": '"rev:2"'}) == {
        "correlation-id": "c-9", "content-type": "application/json", "etag": '"rev:2"'}
    assert reply_headers({}, content=None) == {}
