"""The connection model: Ditto's JSON parsed and rendered back, and every validation rule with Ditto's error."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from twinhub.connectivity.model import (
    Connection,
    ConnectionType,
    ConnectivityStatus,
    TopicKind,
    parse_connection,
    parse_connection_id,
    parse_topic,
    parse_uri,
    validate,
)
from twinhub.model.errors import (
    AcknowledgementLabelInvalid,
    AcknowledgementLabelNotUnique,
    ConnectionIdInvalid,
    FieldSelectorInvalid,
    JsonFieldMissing,
    JsonParseInvalid,
    RqlInvalid,
    TopicInvalid,
    TwinhubError,
)

# Ditto's documented example (basic-connections), every field set, in Ditto's order (MQTT 5: its enforcement
# reads a header, which MQTT 3.1.1 has not).
FULL: dict[str, Any] = {
    "id": "my-conn",
    "name": "My connection",
    "connectionType": "mqtt-5",
    "connectionStatus": "open",
    "uri": "tcp://user:pw@localhost:1883",
    "sources": [{
        "addresses": ["telemetry/#"],
        "consumerCount": 1,
        "qos": 1,
        "authorizationContext": ["ditto:inbound"],
        "enforcement": {"input": "{{ header:device_id }}", "filters": ["{{ thing:id }}"]},
        "acknowledgementRequests": {"includes": ["twin-persisted", "{{connection:id}}:my-ack"],
                                    "filter": "fn:filter(header:qos,'ne','0')"},
        "headerMapping": {"correlation-id": "{{ header:message-id }}"},
        "payloadMapping": ["Ditto", "my-js"],
        "replyTarget": {"address": "{{ header:reply-to }}", "headerMapping": {},
                        "expectedResponseTypes": ["response", "error", "nack"], "enabled": True},
        "declaredAcks": ["{{connection:id}}:my-ack"],
    }],
    "targets": [{
        "address": "events/{{ thing:namespace }}/{{ thing:name }}",
        "topics": ["_/_/things/twin/events?namespaces=org.eclipse.ditto&filter=gt(attributes/counter,42)"
                   "&extraFields=attributes/placement",
                   "_/_/things/live/messages", "_/_/things/live/commands", "_/_/things/live/events",
                   "_/_/policies/announcements", "_/_/connections/announcements"],
        "qos": 0,
        "authorizationContext": ["ditto:outbound"],
        "issuedAcknowledgementLabel": "{{connection:id}}:delivered",
        "headerMapping": {"content-type": "{{ header:content-type }}"},
        "payloadMapping": ["my-js"],
    }],
    "clientCount": 1,
    "failoverEnabled": True,
    "validateCertificates": True,
    "processorPoolSize": 1,
    "specificConfig": {"clientId": "abc", "keepAlive": "30"},
    "mappingDefinitions": {"my-js": {"mappingEngine": "JavaScript",
                                     "options": {"incomingScript": "function mapToDittoProtocolMsg() {}",
                                                 "loadBytebufferJS": "false"},
                                     "incomingConditions": {"c": "fn:filter(header:x,'exists')"}}},
    "credentials": {"type": "client-cert", "cert": "..."},
    "sshTunnel": {"enabled": False, "uri": "ssh://localhost:22", "credentials": {"type": "password"}},
    "tags": ["a", "b"],
}


def _parse(doc: dict[str, Any]) -> Connection:
    return parse_connection(copy.deepcopy(doc))


def _with(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(FULL)
    doc.update(changes)
    return doc


def _source(**changes: Any) -> dict[str, Any]:
    source: dict[str, Any] = copy.deepcopy(FULL["sources"][0])
    source.update(changes)
    return source


def _target(**changes: Any) -> dict[str, Any]:
    target: dict[str, Any] = copy.deepcopy(FULL["targets"][0])
    target.update(changes)
    return target


def test_dittos_example_renders_back_exactly_as_given() -> None:
    connection = _parse(FULL)
    assert connection.to_json() == FULL
    assert list(connection.to_json()) == list(FULL)
    validate(connection)


def test_a_minimal_connection_gets_dittos_defaults() -> None:
    connection = parse_connection({"id": "c", "connectionType": "amqp-091", "connectionStatus": "closed",
                                   "uri": "amqp://guest:guest@localhost:5672",
                                   "sources": [{"addresses": ["q"], "authorizationContext": ["s:x"]}]})
    assert connection.to_json() == {
        "id": "c", "connectionType": "amqp-091", "connectionStatus": "closed",
        "uri": "amqp://guest:guest@localhost:5672",
        "sources": [{"addresses": ["q"], "consumerCount": 1, "authorizationContext": ["s:x"], "headerMapping": {}}],
        "targets": [], "clientCount": 1, "failoverEnabled": True, "validateCertificates": True,
        "processorPoolSize": 1, "tags": []}


def test_a_disabled_reply_target_without_address_keeps_only_enabled() -> None:
    connection = _parse(_with(sources=[_source(replyTarget={"enabled": False})]))
    assert connection.sources[0].reply_target is None
    assert connection.to_json()["sources"][0]["replyTarget"] == {"enabled": False}  # type: ignore[index,call-overload]


def test_specific_config_values_become_strings_as_in_ditto() -> None:
    connection = _parse(_with(specificConfig={"a": 1, "b": True, "c": "x"}))
    assert connection.specific_config == {"a": "1", "b": "true", "c": "x"}


def test_hidden_fields_render_only_when_asked() -> None:
    connection = _parse(_with(_revision=3, _created="2026-01-01T00:00:00Z", _modified="2026-01-02T00:00:00Z"))
    assert "_revision" not in connection.to_json()
    special = connection.to_json(special=True)
    assert (special["_revision"], special["_created"], special["_modified"]) == (
        3, "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z")


def test_topics_parse_into_kind_namespaces_filter_and_extra_fields() -> None:
    topic = parse_topic("_/_/things/twin/events?namespaces=a,b&filter=eq(attributes/x,%22y%22)"
                        "&extraFields=attributes/placement")
    assert (topic.kind, topic.namespaces, topic.filter, topic.extra_fields) == (
        TopicKind.TWIN_EVENTS, ("a", "b"), 'eq(attributes/x,"y")', "attributes/placement")
    assert str(topic) == '_/_/things/twin/events?namespaces=a,b&filter=eq(attributes/x,"y")' \
                         "&extraFields=attributes/placement"
    assert parse_topic("_/_/connections/announcements").kind is TopicKind.CONNECTION_ANNOUNCEMENTS


def test_an_event_filter_may_use_topic_placeholders() -> None:
    assert parse_topic("_/_/things/twin/events?filter=eq(topic:action,'modified')").filter is not None


@pytest.mark.parametrize(("topic", "error"), [
    ("_/_/things/twin/eventz", TopicInvalid),
    ("things/twin/events", TopicInvalid),
    ("_/_/things/twin/events?filter=eq(attributes/x", RqlInvalid),
    ("_/_/things/twin/events?filter=eq(nosuchfield,1)", RqlInvalid),
    ("_/_/things/twin/events?extraFields=a((b", FieldSelectorInvalid),
])
def test_a_bad_topic_is_refused(topic: str, error: type[TwinhubError]) -> None:
    with pytest.raises(error):
        parse_connection(_with(targets=[_target(topics=[topic])]))


def test_an_unknown_topic_answers_dittos_topic_error() -> None:
    with pytest.raises(TopicInvalid) as caught:
        parse_topic("_/_/things/twin/nope")
    assert caught.value.code == "connectivity:topic.invalid"
    assert caught.value.message == "The topic '_/_/things/twin/nope' could not be parsed."


@pytest.mark.parametrize("text", ["my-conn", "a:b_c-1", "x" * 100])
def test_valid_connection_ids(text: str) -> None:
    assert parse_connection_id(text) == text


@pytest.mark.parametrize("text", ["", "a b", "a/b", "x" * 101, "ü"])
def test_invalid_connection_ids(text: str) -> None:
    with pytest.raises(ConnectionIdInvalid):
        parse_connection_id(text)


@pytest.mark.parametrize(("doc", "error", "message"), [
    ([], JsonParseInvalid, "The connection is not a JSON object."),
    ({k: v for k, v in FULL.items() if k != "connectionType"}, JsonFieldMissing,
     "JSON did not include required </connectionType> field!"),
    ({k: v for k, v in FULL.items() if k != "uri"}, JsonFieldMissing, "JSON did not include required </uri> field!"),
    ({k: v for k, v in FULL.items() if k != "connectionStatus"}, JsonFieldMissing,
     "JSON did not include required </connectionStatus> field!"),
    (_with(connectionType="smtp"), JsonParseInvalid, "Connection type <smtp> is invalid!"),
    (_with(connectionStatus="half-open"), JsonParseInvalid, "Connection status <half-open> is invalid!"),
    (_with(clientCount="2"), JsonParseInvalid, 'Value <"2"> for </clientCount> is not of type <int>!'),
    (_with(clientCount=True), JsonParseInvalid, "Value <true> for </clientCount> is not of type <int>!"),
    (_with(failoverEnabled=1), JsonParseInvalid, "Value <1> for </failoverEnabled> is not of type <boolean>!"),
    (_with(sources={}), JsonParseInvalid, "Value for </sources> is not of type <JsonArray>!"),
    (_with(sources=[1]), JsonParseInvalid, "The value at </sources/0> is not a JSON object."),
    (_with(sources=[_source(addresses="a")]), JsonParseInvalid,
     'Value <"a"> for </sources/0/addresses> is not of type <JsonArray of String>!'),
    (_with(sources=[_source(qos=1.5)]), JsonParseInvalid, "Value <1.5> for </sources/0/qos> is not of type <int>!"),
    (_with(sources=[_source(headerMapping={"a": 1})]), JsonParseInvalid,
     "Value <1> for </sources/0/headerMapping/a> is not of type <String>!"),
    (_with(sources=[_source(enforcement={"filters": []})]), JsonFieldMissing,
     "JSON did not include required </sources/0/enforcement/input> field!"),
    (_with(targets=[{"topics": []}]), JsonFieldMissing, "JSON did not include required </targets/0/address> field!"),
    (_with(mappingDefinitions={"x": {"options": {}}}), JsonFieldMissing,
     "JSON did not include required </mappingDefinitions/x/mappingEngine> field!"),
    (_with(id="a b"), ConnectionIdInvalid, "The Connection ID 'a b' is not valid."),
])
def test_malformed_json_answers_dittos_json_errors(doc: Any, error: type[TwinhubError], message: str) -> None:
    with pytest.raises(error) as caught:
        parse_connection(doc)
    assert caught.value.message == message


def test_a_missing_status_takes_the_default_given() -> None:
    doc = {k: v for k, v in FULL.items() if k != "connectionStatus"}
    assert parse_connection(doc, default_status=ConnectivityStatus.UNKNOWN).connection_status \
        is ConnectivityStatus.UNKNOWN


def _invalid(doc: dict[str, Any]) -> TwinhubError:
    with pytest.raises(TwinhubError) as caught:
        validate(parse_connection(doc))
    return caught.value


MQTT_SOURCE = {"addresses": ["t/#"], "qos": 1, "authorizationContext": ["s:a"]}
MQTT_TARGET = {"address": "out/{{ thing:id }}", "topics": ["_/_/things/twin/events"], "qos": 0,
               "authorizationContext": ["s:a"]}


def _mqtt(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": "c1", "connectionType": "mqtt", "connectionStatus": "closed",
                           "uri": "tcp://localhost:1883", "sources": [dict(MQTT_SOURCE)],
                           "targets": [dict(MQTT_TARGET)]}
    doc.update(changes)
    return doc


TOO_MANY = "The number of configured sources or targets within a connection exceeded."


@pytest.mark.parametrize(("doc", "message"), [
    (_mqtt(connectionType="kafka"), "The connection type <kafka> is not supported by twinhub."),
    (_mqtt(connectionType="hono"), "The connection type <hono> is not supported by twinhub."),
    (_mqtt(sources=[], targets=[]),
     "Either a source or a target must be specified in the configuration of a connection!"),
    (_mqtt(sources=[{**MQTT_SOURCE, "authorizationContext": []}]),
     "The Sources [t/#] are missing an authorization context."),
    (_mqtt(sources=[{**MQTT_SOURCE, "authorizationContext": []}],
           targets=[{**MQTT_TARGET, "authorizationContext": []}]),
     "The Sources [t/#] and Targets [out/{{ thing:id }}] are missing an authorization context."),
    (_mqtt(clientCount=0), "Invalid value '0' for configuration 'clientCount': it must be at least 1."),
    (_mqtt(clientCount=2), "Client count limited to 1 for MQTT 3.1.1 connections."),
    (_mqtt(connectionType="mqtt-5", clientCount=2,
           targets=[{**MQTT_TARGET, "topics": ["_/_/connections/announcements"]}]),
     "Connection announcements (topic _/_/connections/announcements) can only be used with client count 1."),
    (_mqtt(sources=[dict(MQTT_SOURCE)] * 101), TOO_MANY),
    (_mqtt(targets=[dict(MQTT_TARGET)] * 101), TOO_MANY),
    (_mqtt(sources=[{**MQTT_SOURCE, "payloadMapping": [f"m{i}" for i in range(11)]}]),
     "The number of configured payload mappings exceeded the limit."),
    (_mqtt(sources=[{**MQTT_SOURCE, "consumerCount": 0}]),
     "Invalid value '0' for configuration 'consumerCount' in Source of index 0 of connection 'c1'"),
    (_mqtt(sources=[{**MQTT_SOURCE, "addresses": []}]), "Source 0 of connection <c1>: addresses may not be empty."),
    (_mqtt(sources=[{**MQTT_SOURCE, "addresses": [""]}]), "Source 0 of connection <c1>: addresses may not be empty."),
    (_mqtt(targets=[{**MQTT_TARGET, "address": ""}]), "Targets of connection <c1>: addresses may not be empty."),
    (_mqtt(sources=[{**MQTT_SOURCE, "qos": None}]),
     "MQTT Source <Source of index 0 of connection 'c1'> must contain QoS value."),
    (_mqtt(sources=[{**MQTT_SOURCE, "qos": 2}]),
     "Invalid value '2' for configuration 'qos' in Source of index 0 of connection 'c1'"),
    (_mqtt(targets=[{**MQTT_TARGET, "qos": None}]),
     "MQTT Target <Target of address 'out/{{ thing:id }}' of connection 'c1'> must contain QoS value."),
    (_mqtt(targets=[{**MQTT_TARGET, "qos": 3}]),
     "Invalid value '3' for configuration 'qos' in Target of address 'out/{{ thing:id }}' of connection 'c1'"),
    (_mqtt(sources=[{**MQTT_SOURCE, "addresses": ["a/#/b"]}]),
     "The provided topic 'a/#/b' is not valid: the multi-level wildcard '#' must be the last level, alone"),
    (_mqtt(sources=[{**MQTT_SOURCE, "addresses": ["a/b+"]}]),
     "The provided topic 'a/b+' is not valid: the single-level wildcard '+' must occupy a whole level"),
    (_mqtt(targets=[{**MQTT_TARGET, "address": "out/+"}]),
     "The provided topic 'out/+' is not valid: wildcards are not allowed in a target address"),
    (_mqtt(sources=[{**MQTT_SOURCE, "payloadMapping": ["nope"]}]), "The mapper <nope> could not be loaded."),
    (_mqtt(mappingDefinitions={"x": {"mappingEngine": "Groovy", "options": {}}}),
     "The mapper <x> could not be loaded."),
    (_mqtt(connectionType="http-push", uri="http://localhost:80", sources=[dict(MQTT_SOURCE)]),
     "A connection of type 'http-push' may not have any source."),
    (_mqtt(connectionType="http-push", uri="http://localhost:80", sources=[],
           targets=[{**MQTT_TARGET, "address": "/hook"}]),
     "Target of address '/hook' of connection 'c1': Target address has invalid format. Expect '<VERB>:/<path>', "
     "for example 'POST:/api'."),
    (_mqtt(connectionType="http-push", uri="http://localhost:80", sources=[],
           targets=[{**MQTT_TARGET, "address": "FETCH:/hook"}]),
     "Target of address 'FETCH:/hook' of connection 'c1': The method 'FETCH' is not supported"),
])
def test_each_rule_answers_a_configuration_error(doc: dict[str, Any], message: str) -> None:
    error = _invalid(doc)
    assert (error.code, error.status, error.message) == ("connectivity:connection.configuration.invalid", 400,
                                                         message)


def test_a_kafka_connection_is_refused_saying_no_such_broker_is_supported() -> None:
    error = _invalid(_mqtt(connectionType="kafka"))
    assert error.description is not None and "No Kafka broker is supported here" in error.description


@pytest.mark.parametrize(("uri", "message"), [
    ("tcp://localhost", "The Connection URI 'tcp://localhost' has an invalid format."),
    ("tcp://localhost:0", "The Connection URI 'tcp://localhost:0' has an invalid format."),
    ("tcp://localhost:99999", "The Connection URI 'tcp://localhost:99999' has an invalid format."),
    ("tcp://localhost:1883?x=1", "The Connection URI 'tcp://localhost:1883?x=1' has an invalid format."),
    ("localhost:1883", "The Connection URI 'localhost:1883' has an invalid format."),
    ("amqp://localhost:5672", "The URI scheme 'amqp' is not valid for MQTT 3.1.1."),
])
def test_a_bad_uri_answers_dittos_uri_error(uri: str, message: str) -> None:
    error = _invalid(_mqtt(uri=uri))
    assert (error.code, error.message) == ("connectivity:connection.uri.invalid", message)


def test_trusted_certificates_need_a_secure_scheme() -> None:
    error = _invalid(_mqtt(ca="-----BEGIN CERTIFICATE-----"))
    assert error.message == "The connection has trusted certificates configured but uses an insecure protocol."
    validate(parse_connection(_mqtt(ca="-----BEGIN CERTIFICATE-----", uri="ssl://localhost:8883")))


@pytest.mark.parametrize(("kind", "uri"), [
    ("mqtt-5", "ssl://h:8883"), ("amqp-091", "amqps://u:p@h:5671/vhost"), ("amqp-10", "amqp://h:5672"),
    ("nats", "nats://h:4222"),
])
def test_each_supported_type_takes_its_schemes(kind: str, uri: str) -> None:
    validate(parse_connection(_mqtt(connectionType=kind, uri=uri)))


def test_declared_acks_must_carry_the_connection_id() -> None:
    error = _invalid(_mqtt(sources=[{**MQTT_SOURCE, "declaredAcks": ["other:ack"]}]))
    assert isinstance(error, AcknowledgementLabelInvalid)
    validate(parse_connection(_mqtt(sources=[{**MQTT_SOURCE, "declaredAcks": ["{{ connection:id }}:ack"]}])))


def test_an_issued_label_is_unique_among_targets() -> None:
    target = {**MQTT_TARGET, "issuedAcknowledgementLabel": "c1:done"}
    error = _invalid(_mqtt(targets=[target, {**target, "address": "other"}]))
    assert isinstance(error, AcknowledgementLabelNotUnique)
    assert error.message == "An issued acknowledgement label may only be used for one target of the connection."


@pytest.mark.parametrize(("changes", "message"), [
    ({"targets": [{**MQTT_TARGET, "address": "x/{{ nope:y }}"}]}, "The placeholder 'nope:y' could not be resolved."),
    ({"targets": [{**MQTT_TARGET, "address": "x/{{ source:address }}"}]},
     "The placeholder 'source:address' could not be resolved."),  # a target has no source
    ({"targets": [{**MQTT_TARGET, "headerMapping": {"h": "{{ thing:colour }}"}}]},
     "The placeholder 'thing:colour' could not be resolved."),
    ({"sources": [{**MQTT_SOURCE, "enforcement": {"input": "{{ header:device }}", "filters": []}}]},
     "The placeholder 'header:device' could not be resolved."),  # MQTT 3.1.1 has no headers
    ({"sources": [{**MQTT_SOURCE, "enforcement": {"input": "{{ source:address }}", "filters": ["{{ header:x }}"]}}]},
     "The placeholder 'header:x' could not be resolved."),  # filters are resolved on the thing
    ({"sources": [{**MQTT_SOURCE, "replyTarget": {"address": "{{ header:reply-to | fn:nope() }}"}}]}, None),
])
def test_a_wrong_placeholder_is_a_configuration_error(changes: dict[str, Any], message: str | None) -> None:
    error = _invalid(_mqtt(**changes))
    assert error.code == "connectivity:connection.configuration.invalid"
    if message is not None:
        assert error.message == message


def test_the_places_take_their_placeholders() -> None:
    validate(parse_connection(_mqtt(
        sources=[{**MQTT_SOURCE, "enforcement": {"input": "{{ source:address }}",
                                                 "filters": ["devices/{{ thing:id }}", "{{ entity:id }}"]},
                  "headerMapping": {"device": "{{ header:device-id | fn:lower() }}"},
                  "replyTarget": {"address": "{{ header:reply-to }}"}}],
        targets=[{**MQTT_TARGET, "address": "out/{{ thing:namespace }}/{{ topic:action | fn:default('x') }}",
                  "headerMapping": {"t": "{{ time:now }}", "c": "{{ connection:id }}"}}])))
    five = _mqtt(connectionType="mqtt-5",
                 sources=[{**MQTT_SOURCE, "enforcement": {"input": "{{ header:device }}", "filters": []}}])
    validate(parse_connection(five))


def test_the_uri_keeps_its_credentials_but_never_shows_them() -> None:
    uri = parse_uri("amqps://guest:s%40cret@broker:5671/vhost")
    assert (uri.scheme, uri.host, uri.port, uri.username, uri.password, uri.path) == (
        "amqps", "broker", 5671, "guest", "s@cret", "/vhost")
    assert "cret" not in repr(uri)


def test_connection_types_are_dittos_and_nats() -> None:
    assert {kind.value for kind in ConnectionType} == {"amqp-091", "amqp-10", "mqtt", "mqtt-5", "http-push", "nats",
                                                      "kafka", "hono"}
