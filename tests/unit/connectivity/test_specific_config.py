"""The specificConfig of twinhub's own connection types, refused when a connection is validated (as its client
would refuse it at connect), and read the same way by the clients."""

from __future__ import annotations

from typing import Any

import pytest

from twinhub.connectivity.model import (
    NatsConfig,
    SpecificConfigInvalid,
    http_push_parallelism,
    parse_connection,
    validate,
    validate_nats_subject,
)
from twinhub.model.errors import ConnectionConfigurationInvalid

SOURCE = {"addresses": ["devices.*.telemetry"], "authorizationContext": ["s:a"]}
TARGET = {"address": "devices.{{ thing:id }}.commands", "topics": ["_/_/things/live/messages"],
          "authorizationContext": ["s:a"]}


def nats(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": "n1", "connectionType": "nats", "connectionStatus": "closed",
                           "uri": "nats://localhost:4222", "sources": [dict(SOURCE)], "targets": [dict(TARGET)]}
    doc.update(changes)
    return doc


def http_push(config: dict[str, str]) -> dict[str, Any]:
    return {"id": "h1", "connectionType": "http-push", "connectionStatus": "closed", "uri": "http://localhost:80",
            "specificConfig": config, "sources": [],
            "targets": [{"address": "POST:/events", "topics": ["_/_/things/twin/events"],
                         "authorizationContext": ["s:a"]}]}


def test_a_nats_connection_with_jetstream_and_placeholders_in_targets_is_valid() -> None:
    validate(parse_connection(nats(specificConfig={"jetstream": "true", "stream": "DEVICES",
                                                   "maxAckPending": "500", "ackWaitSeconds": "2.5"})))


@pytest.mark.parametrize(("changes", "message"), [
    ({"specificConfig": {"jetstream": "maybe"}}, "jetstream must be 'true' or 'false'"),
    ({"specificConfig": {"maxAckPending": "-1"}}, "maxAckPending"),
    ({"specificConfig": {"maxAckPending": "²"}}, "maxAckPending"),  # a digit to str.isdigit, no number
    ({"specificConfig": {"consumer": "x"}}, "unknown specificConfig for nats: consumer"),
    ({"sources": [{**SOURCE, "addresses": ["devices.>.telemetry"]}]}, "is not a NATS subject"),
    ({"sources": [{**SOURCE, "addresses": ["devices telemetry"]}]}, "is not a NATS subject"),
    ({"targets": [{**TARGET, "address": "devices.*.commands"}]}, "target address"),
])
def test_bad_nats_settings_answer_a_configuration_error(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConnectionConfigurationInvalid) as caught:
        validate(parse_connection(nats(**changes)))
    assert message in caught.value.message


@pytest.mark.parametrize("config", [{"parallelism": "0"}, {"parallelism": "x"}, {"parallelism": "257"},
                                    {"parallelism": "١"},
                                    {"omitRequestBody": "GET"}])
def test_bad_http_push_specific_config_answers_a_configuration_error(config: dict[str, str]) -> None:
    with pytest.raises(ConnectionConfigurationInvalid):
        validate(parse_connection(http_push(config)))


def test_http_push_parallelism() -> None:
    validate(parse_connection(http_push({"parallelism": "4"})))
    assert http_push_parallelism({}) == 1 and http_push_parallelism({"parallelism": "256"}) == 256


def test_nats_config_defaults() -> None:
    config = NatsConfig.parse({})
    assert (config.jetstream, config.max_ack_pending, config.ack_wait_seconds, config.deliver_new) == \
        (False, 1000, 30.0, False)


@pytest.mark.parametrize("subject", ["a", "a.b", "a.*.c", "a.>", ">", "*", "org.acme:lamp-1"])
def test_source_subjects(subject: str) -> None:
    validate_nats_subject(subject, wildcards=True)


@pytest.mark.parametrize("subject", ["", "a..b", "a.>.b", "a b", "a.", ".a", "a.b*"])
def test_not_source_subjects(subject: str) -> None:
    with pytest.raises(SpecificConfigInvalid):
        validate_nats_subject(subject, wildcards=True)
