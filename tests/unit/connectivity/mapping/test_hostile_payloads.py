"""Whatever a broker delivers (and whatever signal goes out), each built-in mapper answers with its results,
nothing, or MappingFailed: never another exception, which would reach the connection instead of its logs."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twinhub.connectivity.external import ExternalMessage
from twinhub.connectivity.mapping.base import MapperContext, MappingFailed, PayloadMapper
from twinhub.connectivity.mapping.cloud_events import CloudEventsMapper
from twinhub.connectivity.mapping.connection_status import ConnectionStatusMapper
from twinhub.connectivity.mapping.ditto import DittoMapper
from twinhub.connectivity.mapping.implicit_thing import ImplicitThingCreationMapper
from twinhub.connectivity.mapping.javascript import JavaScriptMapper
from twinhub.connectivity.mapping.live_response import UpdateTwinWithLiveResponseMapper
from twinhub.connectivity.mapping.normalized import NormalizedMapper
from twinhub.connectivity.mapping.raw_message import RawMessageMapper
from twinhub.model.errors import TwinhubError
from twinhub.model.types import JsonObject
from twinhub.protocol import envelope_from_json


def _context(options: JsonObject) -> MapperContext:
    return MapperContext("conn-1", "m", options, lambda: dt.datetime(2024, 1, 1, tzinfo=dt.UTC))


MAPPERS: list[Callable[[], PayloadMapper]] = [
    DittoMapper,
    lambda: NormalizedMapper(_context({})),
    lambda: ConnectionStatusMapper(_context({"thingId": "{{ header:device_id }}"})),
    lambda: RawMessageMapper(_context({})),
    lambda: ImplicitThingCreationMapper(_context({"thing": {"thingId": "{{ header:device_id }}"}})),
    lambda: UpdateTwinWithLiveResponseMapper(_context({})),
    lambda: CloudEventsMapper(_context({})),
]
BUILT = [build() for build in MAPPERS]

SCALARS = (st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20))
JSON_VALUES = st.recursive(SCALARS, lambda children: st.lists(children, max_size=4) | st.dictionaries(
                               st.sampled_from(["topic", "path", "value", "headers", "status", "data", "id",
                                                "specversion", "source", "type", "data_base64", "extra"]),
                               children, max_size=6), max_leaves=20)
TOPICS = st.sampled_from(["org.acme/d/things/twin/commands/modify", "org.acme/d/things/live/commands/retrieve",
                          "org.acme/d/things/live/messages/hi", "_/_/things/twin/search/subscribe", "x", "a/b/c",
                          "org.acme/d/things/twin/events/modified"])
PATHS = st.sampled_from(["/", "/attributes/x", "/inbox/messages/hi", ""])
HEADER_NAMES = st.sampled_from(["correlation-id", "timeout", "response-required", "content-type"])
PROTOCOL_LIKE = st.fixed_dictionaries(
    {"topic": TOPICS, "path": PATHS, "headers": st.dictionaries(HEADER_NAMES, JSON_VALUES, max_size=3)},
    optional={"value": JSON_VALUES, "status": JSON_VALUES})
PAYLOADS = st.one_of(st.binary(max_size=200), JSON_VALUES.map(orjson.dumps), PROTOCOL_LIKE.map(orjson.dumps))
HEADERS = st.dictionaries(
    st.sampled_from(["content-type", "device_id", "ttd", "creation-time", "ditto-message-subject",
                     "ditto-message-thing-id", "ditto-message-direction", "status", "ce-id", "ce-source", "ce-type",
                     "ce-specversion", "ditto-message-feature-id"]),
    st.one_of(st.sampled_from(["application/vnd.eclipse.ditto+json", "application/cloudevents+json",
                               "application/json", "text/plain", "application/octet-stream", "org.acme:d", "60", "-1",
                               "0", "TO", "FROM", "200"]), st.text(max_size=30)),
    max_size=8)


@pytest.fixture(scope="module")
def script_mapper() -> Iterator[JavaScriptMapper]:
    """Ditto's default script templates, which take Ditto Protocol text or bytes and drop the rest."""
    mapper = JavaScriptMapper(_context({}))
    yield mapper
    mapper.close()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(payload=PAYLOADS, headers=HEADERS)
def test_every_inbound_mapper_maps_or_fails_cleanly(script_mapper: JavaScriptMapper, payload: bytes,
                                                    headers: dict[str, str]) -> None:
    message = ExternalMessage(payload, headers)
    for mapper in [*BUILT, script_mapper]:
        with contextlib.suppress(MappingFailed):  # anything else fails the test
            mapper.map_inbound(message)


OUTBOUND = [DittoMapper(), NormalizedMapper(_context({"includeDeletedFields": "true"})), RawMessageMapper(_context({})),
            CloudEventsMapper(_context({}))]
SIGNAL_TOPICS = st.sampled_from(["org.acme/d/things/twin/events/modified", "org.acme/d/things/twin/events/merged",
                                 "org.acme/d/things/twin/events/deleted", "org.acme/d/things/twin/events/created",
                                 "org.acme/d/things/live/messages/hi", "org.acme/d/things/live/messages/a/b",
                                 "org.acme/p/policies/announcements/subjectDeletion", "org.acme/d/things/twin/errors"])
SIGNAL_PATHS = st.sampled_from(["/", "/attributes/x", "/features/f/properties/p", "/inbox/messages/hi",
                                "/features/f/outbox/messages/a/b", "/features//x"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({"topic": SIGNAL_TOPICS, "path": SIGNAL_PATHS,
                              "headers": st.dictionaries(st.sampled_from(["content-type", "correlation-id"]),
                                                         st.sampled_from(["application/json", "text/plain",
                                                                          "application/octet-stream", "c-1"]))},
                             optional={"value": JSON_VALUES, "status": st.sampled_from([200, 204, 400]),
                                       "timestamp": st.just("2024-01-01T00:00:00Z"), "revision": st.integers(0, 9),
                                       "extra": st.dictionaries(st.sampled_from(["attributes", "thingId"]),
                                                                JSON_VALUES, max_size=2)}))
def test_every_outbound_mapper_maps_or_fails_cleanly(signal: dict[str, object]) -> None:
    try:
        envelope = envelope_from_json(signal)  # type: ignore[arg-type]
    except TwinhubError:
        return  # not a signal the platform would publish
    for mapper in OUTBOUND:
        with contextlib.suppress(MappingFailed):
            mapper.map_outbound(envelope)
