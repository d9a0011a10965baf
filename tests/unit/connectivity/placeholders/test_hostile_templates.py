"""Whatever text a connection's configuration or a message's headers put into a template, resolving it ends
with values or a `placeholder:*` error, never another exception (the edges only know TwinhubErrors)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twinhub.connectivity.placeholders import HeaderPlaceholder, ThingPlaceholder, placeholders_of, resolve
from twinhub.model.errors import TwinhubError

SOURCES = placeholders_of(HeaderPlaceholder({"a": "x y", "json": '{"k":["1","2"],"o":{"p":"q"}}', "b": ""}),
                          ThingPlaceholder("org.acme:t-1"))
# Pieces that make templates interesting: the syntax's own characters and words.
PIECES = st.sampled_from(["{{", "}}", "{", "}", "|", "'", '"', "\\", "(", ")", ",", ":", " ", "fn:", "header:a",
                          "header:json", "thing:id", "thing:x", "default(", "filter(", "'like'", "'eq'", "'exists'",
                          "split(' ')", "join(',')", "format('", "{#k}", "{/k}", "{.}", "*", "?", "upper()", "delete()",
                          "substring-before(", "replace(", "base64-decode()", "url-decode()", "time:now[h]", "x"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(PIECES, max_size=24).map("".join))
def test_any_template_resolves_or_fails_with_a_placeholder_error(template: str) -> None:
    try:
        result = resolve(template, SOURCES)
    except TwinhubError as error:
        assert error.code.startswith("placeholder:")
    else:
        assert result is not None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_any_header_value_is_only_a_value(value: str) -> None:
    sources = placeholders_of(HeaderPlaceholder({"v": value}))
    for template in ("{{ header:v }}", "{{ header:v | fn:split(' ') | fn:join('-') }}",
                     "{{ header:v | fn:format('{a}') }}", "{{ header:v | fn:base64-decode() | fn:url-decode() }}",
                     "{{ header:v | fn:filter('like', '*a?') }}"):
        try:
            resolve(template, sources)
        except TwinhubError as error:
            assert error.code.startswith("placeholder:")
