"""Placeholders and the `fn:` pipeline, with the vectors of Ditto's documentation (basic-placeholders.md) and
the behaviour of its resolver: unresolved parts, deleted parts, several values, errors with Ditto's codes."""

from __future__ import annotations

import datetime as dt

import pytest

from twinhub.connectivity import model as connection_model
from twinhub.connectivity.external import ExternalMessage
from twinhub.connectivity.placeholders import (
    DELETED,
    INBOUND_PREFIXES,
    TARGET_PREFIXES,
    Element,
    HeaderPlaceholder,
    Placeholders,
    ThingPlaceholder,
    TimePlaceholder,
    TopicPlaceholder,
    apply,
    apply_all,
    apply_or_delete,
    condition_holds,
    envelope_placeholders,
    message_placeholders,
    placeholders_of,
    resolve,
    validate,
)
from twinhub.model.errors import (
    PlaceholderFunctionSignatureInvalid,
    PlaceholderFunctionTooComplex,
    PlaceholderFunctionUnknown,
    PlaceholderUnresolved,
    TwinhubError,
)
from twinhub.model.types import JsonValue
from twinhub.protocol import envelope_from_json, parse_topic

HEADERS = placeholders_of(HeaderPlaceholder({"One": "1", "two": "2", "splitted": "one two three",
                                             "device_id": "org.acme:sensor-7", "empty": ""}),
                          ThingPlaceholder("org.eclipse.ditto:device-123"))
NOW = dt.datetime(2024, 1, 6, 14, 23, 42, 123000, tzinfo=dt.UTC)


def values(template: str, placeholders: Placeholders = HEADERS) -> Element:
    return resolve(template, placeholders)


# --- templates and the resolver ------------------------------------------------------------------------------

def test_headers_resolve_without_regard_to_case() -> None:
    assert apply("{{ header:one }}/{{header:TWO}}", HEADERS) == "1/2"


def test_literal_text_without_placeholders_is_itself() -> None:
    assert apply("plain/address", HEADERS) == "plain/address"
    assert apply("", HEADERS) == ""


def test_an_unresolved_part_makes_the_template_unresolved() -> None:
    assert values("a/{{ header:missing }}/b") == ()
    assert apply_or_delete("a/{{ header:missing }}/b", HEADERS) is None
    with pytest.raises(PlaceholderUnresolved) as caught:
        apply("a/{{ header:missing }}", HEADERS)
    assert caught.value.code == "placeholder:unresolved"


def test_an_unknown_placeholder_is_an_error_not_an_unresolved_value() -> None:
    with pytest.raises(PlaceholderUnresolved, match="thing:missing"):
        values("{{ thing:missing }}")
    with pytest.raises(PlaceholderUnresolved):
        values("{{ topic:full }}")  # no topic placeholder given
    with pytest.raises(PlaceholderUnresolved):
        values("{{ no-colon }}")


def test_several_values_multiply_into_several_results() -> None:
    assert values("{{ header:splitted | fn:split(' ') }}_{{ header:one }}") == ("one_1", "two_1", "three_1")
    assert len(apply_all("{{ header:splitted | fn:split(' ') | fn:upper() }}:"
                         "{{ header:splitted | fn:split(' ') | fn:lower() }}", HEADERS)) == 9


def test_spaces_around_stages_and_parameters_do_not_matter() -> None:
    for template in ("{{header:unknown |fn:default('bar')| fn:upper() }}",
                     "{{    header:unknown |     fn:default('bar')    |fn:upper()}}",
                     "{{ header:unknown | fn:default(  'bar'  ) |fn:upper(  ) }}"):
        assert apply(template, HEADERS) == "BAR"


def test_quoted_constants_keep_pipes_spaces_and_escaped_quotes() -> None:
    assert apply("{{ header:unknown | fn:default(' a|b  ') }}", HEADERS) == " a|b  "
    assert apply("{{ header:unknown | fn:default('it\\'s') }}", HEADERS) == "it\\'s"  # kept as written, as Ditto
    assert apply('{{ header:unknown | fn:default("say \\"hi\\"") }}', HEADERS) == 'say \\"hi\\"'


def test_ten_functions_are_allowed_eleven_are_too_complex() -> None:
    ten = "{{ header:unknown | fn:default('x')" + " | fn:upper()" * 9 + " }}"
    assert apply(ten, HEADERS) == "X"
    with pytest.raises(PlaceholderFunctionTooComplex) as caught:
        values(ten.replace(" }}", " | fn:lower() }}"))
    assert caught.value.code == "placeholder:function.too.complex"


def test_unknown_functions_and_wrong_signatures_are_refused_with_dittos_codes() -> None:
    with pytest.raises(PlaceholderFunctionUnknown) as unknown:
        values("{{ header:one | fn:reverse() }}")
    assert unknown.value.code == "placeholder:function.unknown"
    for bad in ("{{ header:one | fn:upper('x') }}", "{{ header:one | fn:default() }}",
                "{{ header:one | fn:substring-before(header:two) }}", "{{ header:one | fn:default('a', 'b') }}",
                "{{ header:one | fn:filter('eq') }}",
                "{{ header:one | fn:join }}"):
        with pytest.raises((PlaceholderFunctionSignatureInvalid, PlaceholderFunctionUnknown)) as caught:
            values(bad)
        assert caught.value.code.startswith("placeholder:function."), bad


def test_malformed_pipelines_are_unresolved_templates() -> None:
    for bad in ("{{ header:one || fn:upper() }}", "{{ header:one | }}", "{{ | fn:upper() }}", "{{ 'open }}",
                "{{ header:one | fn:default('unclosed) }}",
                "{{ }}"):
        with pytest.raises(PlaceholderUnresolved):
            values(bad)


def test_an_unclosed_placeholder_is_literal_text() -> None:
    assert apply("a/{{ header:one", HEADERS) == "a/{{ header:one"


def test_a_pipeline_may_start_with_a_function() -> None:
    assert apply("{{ fn:default('x') | fn:upper() }}", HEADERS) == "X"
    assert values("{{ fn:substring-before('') }}") == ()


# --- the function library ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("template", "expected"), [
    ("{{ thing:name | fn:substring-before('-') | fn:default('fallback') | fn:upper() }}", ("DEVICE",)),
    ("{{ thing:id | fn:substring-before(':') }}", ("org.eclipse.ditto",)),
    ("{{ thing:id | fn:substring-after(':') }}", ("device-123",)),
    ("{{ thing:id | fn:substring-after('#') }}", ()),
    ("{{ thing:id | fn:substring-before('#') | fn:default('none') }}", ("none",)),
    ("{{ header:unknown | fn:default(thing:name) }}", ("device-123",)),
    ("{{ header:unknown | fn:default(header:unknown) }}", ()),
    ("{{ header:empty | fn:default('x') }}", ("",)),  # empty is a value, not unresolved
    ("{{ header:one | fn:default('x') }}", ("1",)),
    ("{{ thing:id | fn:lower() }}", ("org.eclipse.ditto:device-123",)),
    ("{{ thing:name | fn:upper() }}", ("DEVICE-123",)),
    ("{{ fn:default('  padded\t') | fn:trim() }}", ("padded",)),
    ("{{ fn:default('a b&c=d/~*') | fn:url-encode() }}", ("a+b%26c%3Dd%2F%7E*",)),
    ("{{ fn:default('a+b%26c%3Dd') | fn:url-decode() }}", ("a b&c=d",)),
    ("{{ fn:default('ditto') | fn:base64-encode() }}", ("ZGl0dG8=",)),
    ("{{ fn:default('ZGl0dG8=') | fn:base64-decode() }}", ("ditto",)),
    ("{{ fn:default('not base64!') | fn:base64-decode() }}", ()),
    ("{{ thing:id | fn:replace(':', '/') }}", ("org.eclipse.ditto/device-123",)),
    ("{{ fn:default('aaa') | fn:replace('a', header:one) }}", ("111",)),
    ("{{ header:splitted | fn:split(' ') }}", ("one", "two", "three")),
    ("{{ fn:default('a,b,,') | fn:split(',') }}", ("a", "b")),  # Java's split drops trailing empties
    ("{{ fn:default('a.b') | fn:split('.') }}", ()),  # a regex, as Java's: `.` splits everywhere
    ("{{ header:splitted | fn:split(' ') | fn:join(',') }}", ("one,two,three",)),
    ("{{ header:unknown | fn:join(',') }}", ()),
    ("{{ header:one | fn:delete() }}", DELETED),
    ("{{ header:one | fn:delete() | fn:default('x') }}", DELETED),
])
def test_functions_as_ditto_documents_them(template: str, expected: object) -> None:
    assert values(template) == expected


@pytest.mark.parametrize(("template", "expected"), [
    ("{{ header:one | fn:filter('eq', '1') }}", ("1",)),
    ("{{ header:one | fn:filter('eq', '2') }}", ()),
    ("{{ header:one | fn:filter('ne', '2') }}", ("1",)),
    ("{{ header:splitted | fn:split(' ') | fn:filter('like', 't*') }}", ("two", "three")),
    ("{{ header:splitted | fn:split(' ') | fn:filter('like', 'on?|thr*') }}", ("one", "three")),
    ("{{ fn:default('a.c') | fn:filter('like', 'a.c') }}", ("a.c",)),  # `.` is literal in like
    ("{{ fn:default('abc') | fn:filter('like', 'a.c') }}", ()),
    ("{{ header:one | fn:filter(header:two, 'exists') }}", ("1",)),
    ("{{ header:one | fn:filter(header:missing, 'exists') }}", ()),
    ("{{ header:one | fn:filter(header:missing, 'exists', 'false') }}", ("1",)),
    ("{{ header:one | fn:filter(header:two, 'exists', 'false') }}", ()),
    ("{{ header:one | fn:filter(header:two, 'eq', '2') }}", ("1",)),
    ("{{ header:one | fn:filter(header:two, 'eq', '3') }}", ()),
    ("{{ header:one | fn:filter(header:two, 'ne', '3') }}", ("1",)),
    ("{{ header:one | fn:filter(header:two, 'unknown-rql', '2') }}", ()),
    ("{{ header:one | fn:filter('unknown-rql', '1') }}", ()),
    ("{{ header:missing | fn:filter('ne', '1') }}", ()),
])
def test_filter_in_its_three_forms(template: str, expected: object) -> None:
    assert values(template) == expected


def test_a_like_pattern_is_matched_in_linear_time_on_hostile_input() -> None:
    # `(a*)*b`-style patterns backtrack exponentially in a backtracking engine; RE2 does not.
    hostile = placeholders_of(HeaderPlaceholder({"x": "a" * 5000}))
    assert resolve("{{ header:x | fn:filter('like', '*a*a*a*a*a*a*a*a*a*a*b') }}", hostile) == ()


def test_format_keeps_the_fields_of_each_object_together() -> None:
    authz = placeholders_of(HeaderPlaceholder({"a": '{"reseller":"io.test","service_provider":"acme","roles":["op"]}',
                                               "b": '{"reseller":"io.test","service_provider":"","roles":["admin"]}'}))
    assert resolve("{{ header:a | fn:format('{reseller}#{service_provider}#{roles}') }}", authz) == (
        "io.test#acme#op",)
    assert resolve("{{ header:b | fn:format('{reseller}#{service_provider}#{roles}') }}", authz) == (
        "io.test##admin",)


def test_format_sections_iterate_arrays_and_pointers_reach_into_objects() -> None:
    claim = ('{"reseller":"io.test","service_provider":"acme","user":{"name":"ann"},"permissions":['
             '{"resource":"things","actions":["read","write"]},{"resource":"policies","actions":["read"]}]}')
    source = placeholders_of(HeaderPlaceholder({"authz": claim, "text": "no json"}))
    template = ("{{ header:authz | fn:format('{reseller}:{service_provider}:"
                "{#permissions}{resource}:{#actions}{.}{/actions}{/permissions}') }}")
    assert resolve(template, source) == ("io.test:acme:things:read", "io.test:acme:things:write",
                                         "io.test:acme:policies:read")
    assert resolve("{{ header:authz | fn:format('{/user/name} \\{x\\} {missing}') }}", source) == ("ann {x} ",)
    assert resolve("{{ header:text | fn:format('{a}') }}", source) == ("",)
    with pytest.raises(PlaceholderFunctionSignatureInvalid):
        resolve("{{ header:authz | fn:format('{#permissions}unclosed') }}", source)


def test_format_refuses_sections_nested_without_end() -> None:
    source = placeholders_of(HeaderPlaceholder({"x": '{"a":[]}'}))
    deep = "{#a}" * 5000 + "{/a}" * 5000
    with pytest.raises(PlaceholderFunctionSignatureInvalid):
        resolve("{{ header:x | fn:format('" + deep + "') }}", source)


# --- the placeholders ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("topic", "expected"), [
    ("org.eclipse.ditto/device-123/things/twin/commands/create", {
        "full": "org.eclipse.ditto/device-123/things/twin/commands/create", "namespace": "org.eclipse.ditto",
        "entityName": "device-123", "group": "things", "channel": "twin", "criterion": "commands",
        "action": "create", "subject": None, "action-subject": "create"}),
    ("org.eclipse.ditto/device-123/things/live/messages/hello.world", {
        "full": "org.eclipse.ditto/device-123/things/live/messages/hello.world", "namespace": "org.eclipse.ditto",
        "entityName": "device-123", "group": "things", "channel": "live", "criterion": "messages",
        "action": None, "subject": "hello.world", "action-subject": "hello.world"}),
])
def test_topic_placeholders_as_in_dittos_examples(topic: str, expected: dict[str, str | None]) -> None:
    source = placeholders_of(TopicPlaceholder(parse_topic(topic)))
    for name, value in expected.items():
        assert apply_or_delete(f"{{{{ topic:{name} }}}}", source) == value, name


def test_a_topic_without_channel_has_dittos_channel_none() -> None:
    source = placeholders_of(TopicPlaceholder(parse_topic("org.acme/p-1/policies/announcements/subjectDeletion")))
    assert apply("{{ topic:group }}/{{ topic:channel }}/{{ topic:action }}", source) == (
        "policies/none/subjectDeletion")


@pytest.mark.parametrize(("name", "expected"), [
    ("now", "2024-01-06T14:23:42.123Z"),
    ("now_epoch_millis", "1704551022123"),
    ("now+1h", "2024-01-06T15:23:42.123Z"),
    ("now-7d", "2023-12-30T14:23:42.123Z"),
    ("now[h]", "2024-01-06T14:00:00Z"),  # Java's Instant.toString leaves out a zero fraction
    ("now[d]", "2024-01-06T00:00:00Z"),
    ("now-25m[m]", "2024-01-06T13:58:00Z"),
    ("now+3d[s]", "2024-01-09T14:23:42Z"),
    ("now[w]", "2024-01-01T00:00:00Z"),  # the Monday of the week
    ("now[mo]", "2024-01-01T00:00:00Z"),
    ("now[y]", "2024-01-01T00:00:00Z"),
    ("now+30s", "2024-01-06T14:24:12.123Z"),
    ("now+30", "2024-01-06T14:24:12.123Z"),  # no unit: seconds
    ("now_epoch_millis-1s[s]", "1704551021000"),
    ("now+500ms", "2024-01-06T14:23:42.623Z"),
])
def test_time_placeholders_as_in_dittos_examples(name: str, expected: str) -> None:
    assert apply(f"{{{{ time:{name} }}}}", placeholders_of(TimePlaceholder(NOW))) == expected


@pytest.mark.parametrize("name", ["later", "now+", "now+1x", "now[x]", "now*1h", "now+99999999999999999d",
                                  "now[]", "now+1h[q]"])
def test_time_placeholders_that_do_not_exist_are_refused(name: str) -> None:
    with pytest.raises(PlaceholderUnresolved):
        apply(f"{{{{ time:{name} }}}}", placeholders_of(TimePlaceholder(NOW)))


def test_an_envelope_offers_its_thing_feature_topic_resource_headers_and_json() -> None:
    envelope = envelope_from_json({
        "topic": "org.acme/lamp-1/things/twin/events/modified", "headers": {"Correlation-Id": "c-1", "x": 5},
        "path": "/features/light/properties/on", "value": True})
    source = envelope_placeholders(envelope, connection_id="conn-1", now=NOW, subject_id="ditto:alice",
                                   thing={"attributes": {"room": "kitchen", "floor": 2}})
    assert apply("{{ thing:id }}|{{ thing:namespace }}|{{ thing:name }}|{{ entity:id }}|{{ feature:id }}|"
                 "{{ connection:id }}|{{ header:correlation-id }}|{{ header:x }}|{{ resource:type }}|"
                 "{{ resource:path }}|{{ request:subjectId }}|{{ thing-json:attributes/room }}|"
                 "{{ thing-json:attributes/floor }}|{{ topic:action }}", source) == (
        "org.acme:lamp-1|org.acme|lamp-1|org.acme:lamp-1|light|conn-1|c-1|5|thing|"
        "/features/light/properties/on|ditto:alice|kitchen|2|modified")
    assert apply_or_delete("{{ policy:id }}", source) is None
    assert apply_or_delete("{{ thing-json:attributes/missing }}", source) is None


def test_a_message_offers_its_headers_connection_address_and_time() -> None:
    message = ExternalMessage(b"{}", {"Device_Id": "org.acme:s-1"}, address="telemetry/org.acme:s-1")
    source = message_placeholders(message, connection_id="conn-1", now=NOW)
    assert apply("{{ header:device_id }}@{{ source:address }}@{{ connection:id }}@{{ time:now[d] }}", source) == (
        "org.acme:s-1@telemetry/org.acme:s-1@conn-1@2024-01-06T00:00:00Z")


# --- validation and conditions -------------------------------------------------------------------------------

def test_validate_accepts_what_the_scope_offers() -> None:
    template = validate("events/{{ thing:namespace }}/{{ thing:name | fn:lower() }}/{{ time:now[h] }}",
                        TARGET_PREFIXES)
    assert [str(ref) for ref in template.placeholders()] == ["thing:namespace", "thing:name", "time:now[h]"]


@pytest.mark.parametrize(("template", "error"), [
    ("{{ thing:id }}", PlaceholderUnresolved),  # not offered inbound
    ("{{ header:x | fn:default(thing:id) }}", PlaceholderUnresolved),  # nor as a parameter
    ("{{ header }}", PlaceholderUnresolved),
    ("{{ time:later }}", PlaceholderUnresolved),
    ("{{ jwt:sub }}", PlaceholderUnresolved),
    ("{{ header:x | fn:nope() }}", PlaceholderFunctionUnknown),
    ("{{ header:x | fn:lower(1) }}", PlaceholderFunctionSignatureInvalid),
])
def test_validate_refuses_what_the_scope_does_not_offer(template: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        validate(template, INBOUND_PREFIXES)


def test_validate_refuses_an_unknown_name_of_a_known_prefix() -> None:
    with pytest.raises(PlaceholderUnresolved):
        validate("{{ thing:identifier }}", TARGET_PREFIXES)


def test_conditions_hold_when_their_filter_keeps_the_default() -> None:
    source = placeholders_of(HeaderPlaceholder({"qos": "1", "mapping-required": "true"}))
    assert condition_holds("fn:filter(header:qos,'ne','0')", source)
    assert condition_holds("fn:filter(header:mapping-required,'eq','true')", source)
    assert not condition_holds("fn:filter(header:mapping-required,'eq','false')", source)
    assert condition_holds("fn:filter(header:qos,'exists')", source)
    assert not condition_holds("fn:filter(header:absent,'exists')", source)


def test_an_oversize_template_is_refused() -> None:
    with pytest.raises(PlaceholderUnresolved):
        resolve("x" * 70_000, HEADERS)


def test_a_product_of_many_values_is_bounded() -> None:
    many = placeholders_of(HeaderPlaceholder({"x": " ".join(str(i) for i in range(100))}))
    with pytest.raises(PlaceholderUnresolved):
        resolve("{{ header:x | fn:split(' ') }}{{ header:x | fn:split(' ') }}", many)


def test_the_connection_model_validates_its_templates_with_these_placeholders() -> None:
    connection: dict[str, JsonValue] = {
        "id": "c1", "connectionType": "mqtt", "connectionStatus": "closed", "uri": "tcp://localhost:1883",
        "targets": [{"address": "out/{{ thing:namespace }}/{{ thing:name | fn:lower() }}",
                     "topics": ["_/_/things/twin/events"], "qos": 0, "authorizationContext": ["s:a"],
                     "headerMapping": {"device": "{{ header:device_id | fn:default(thing:id) }}"}}]}
    connection_model.validate(connection_model.parse_connection(connection))
    targets = connection["targets"]
    assert isinstance(targets, list) and isinstance(targets[0], dict)
    for address, refused in (("out/{{ thing:nope }}", "thing:nope"), ("out/{{ thing:id | fn:reverse() }}", "reverse")):
        targets[0]["address"] = address
        with pytest.raises(TwinhubError) as caught:  # Ditto answers it as the connection's configuration error
            connection_model.validate(connection_model.parse_connection(connection))
        assert caught.value.code == "connectivity:connection.configuration.invalid"
        assert refused in caught.value.message


def test_format_reads_a_template_of_unclosed_braces_as_text() -> None:
    source = placeholders_of(HeaderPlaceholder({"x": '{"a":1}'}))
    template = "{" * 30_000
    assert resolve("{{ header:x | fn:format('" + template + "') }}", source) == (template,)
