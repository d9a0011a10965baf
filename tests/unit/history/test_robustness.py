"""Whatever a client sends, the parsers answer with a value or a 400, never another exception."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from twinhub.history import parse_instant, parse_query
from twinhub.history.cursor import decode_cursor, fingerprint
from twinhub.history.grafana import parse_grafana_query
from twinhub.model.errors import Invalid, TwinhubError

NOW = datetime(2026, 12, 7, tzinfo=UTC)
iso_like = st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9:.,]{0,12}(Z|[+-][0-9:]{0,6})?)?", fullmatch=True)
PARAMS = ("from", "to", "paths", "step", "agg", "limit", "cursor")


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), iso_like, st.from_regex(r"-[0-9]{1,12}[smhdw]?", fullmatch=True)))
def test_any_time_text_parses_or_is_a_400(text: str) -> None:
    try:
        assert parse_instant(text, NOW).tzinfo == UTC
    except TwinhubError as error:
        assert isinstance(error, Invalid) and error.status == 400


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(PARAMS), st.one_of(st.text(max_size=30), iso_like), max_size=7))
def test_any_query_string_parses_or_is_a_400(params: dict[str, str]) -> None:
    try:
        parse_query(params, NOW, path="/attributes/a")
    except TwinhubError as error:
        assert isinstance(error, Invalid) and error.status == 400


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/", max_size=120))
def test_any_cursor_text_decodes_or_is_a_400(text: str) -> None:
    try:
        decode_cursor(text, fingerprint("ns:t", ["/attributes/a"]))
    except TwinhubError as error:
        assert error.status == 400


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                         max_size=3), max_leaves=10)


@settings(max_examples=300, deadline=None)
@given(st.one_of(json_values, st.fixed_dictionaries({
    "range": st.fixed_dictionaries({"from": st.one_of(iso_like, st.text(max_size=5)), "to": st.just("now")}),
    "intervalMs": json_values,
    "targets": st.lists(st.fixed_dictionaries({"target": st.text(max_size=20), "payload": json_values}), max_size=3),
})))
def test_any_grafana_body_parses_or_is_a_400(body: object) -> None:
    try:
        parse_grafana_query(body, NOW)  # type: ignore[arg-type]
    except TwinhubError as error:
        assert error.status == 400
