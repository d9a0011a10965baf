"""The JavaScript mapper: Ditto's documented scripts run unchanged, the `Ditto.*` helpers, ByteBuffer and Long,
and hostile scripts (loops, allocation, throws, garbage, recursion) end as MappingFailed, never a hang."""

from __future__ import annotations

import struct
from collections.abc import Iterator

import orjson
import pytest
from bench.mapping_js import BINARY_SCRIPT, TEXT_SCRIPT

from twinhub.connectivity.external import ExternalMessage
from twinhub.connectivity.mapping.base import MapperConfigurationInvalid, MapperContext, MappingFailed
from twinhub.connectivity.mapping.javascript import MAX_SCRIPT_SIZE, JavaScriptMapper, ScriptLimits
from twinhub.model.types import JsonObject
from twinhub.protocol import envelope_from_json, envelope_to_json

FAST = ScriptLimits(timeout=0.2, max_memory=32 * 1024 * 1024)  # for scripts that never end
# For scripts that end: a time limit no busy machine reaches, so that the failure is the one the test means.
GENEROUS = ScriptLimits(timeout=10, max_memory=32 * 1024 * 1024)

# connectivity-mapping.md, "Mapping outgoing messages".
OUTGOING_EXAMPLE = """
function mapFromDittoProtocolMsg(namespace, name, group, channel,
    criterion, action, path, dittoHeaders, value, status, extra) {
  let headers = dittoHeaders;
  let textPayload = JSON.stringify(
    Ditto.buildDittoProtocolMsg(namespace, name, group, channel,
      criterion, action, path, dittoHeaders, value, status, extra)
  );
  return Ditto.buildExternalMsg(headers, textPayload, null,
    'application/vnd.eclipse.ditto+json');
}
"""

EVENT: JsonObject = {"topic": "org.acme/lamp/things/twin/events/modified", "headers": {"correlation-id": "c-1"},
                     "path": "/attributes/on", "value": True, "revision": 3}


@pytest.fixture
def mappers() -> Iterator[list[JavaScriptMapper]]:
    """Mappers built in a test, closed after it."""
    built: list[JavaScriptMapper] = []
    yield built
    for mapper in built:
        mapper.close()


def mapper_of(mappers: list[JavaScriptMapper], options: JsonObject,
              limits: ScriptLimits = GENEROUS) -> JavaScriptMapper:
    mapper = JavaScriptMapper(MapperContext("conn-1", "js", options), limits=limits)
    mappers.append(mapper)
    return mapper


def test_the_text_example_of_dittos_documentation_runs_unchanged(mappers: list[JavaScriptMapper]) -> None:
    mapper = mapper_of(mappers, {"incomingScript": TEXT_SCRIPT})
    payload = '{"temp": "23.42 °C", "hum": 78, "pres": {"value": 760, "unit": "mmHg"}}'.encode()
    [command] = mapper.map_inbound(ExternalMessage(payload, {"content-type": "application/json",
                                                             "device_id": "sensor1"}))
    assert str(command.topic) == "org.eclipse.ditto/sensor1/things/twin/commands/modify"
    assert command.path == "/features"
    assert command.value == {"temperature": {"properties": {"value": 23.42}},
                             "pressure": {"properties": {"value": 760}},
                             "humidity": {"properties": {"value": 78}}}
    assert command.headers["device_id"] == "sensor1"
    assert mapper.map_inbound(ExternalMessage(b"{}", {"content-type": "text/plain"})) == []  # dropped


def test_the_binary_example_of_dittos_documentation_runs_unchanged(mappers: list[JavaScriptMapper]) -> None:
    mapper = mapper_of(mappers, {"incomingScript": BINARY_SCRIPT})
    payload = bytes.fromhex("09EF03F72A")
    [command] = mapper.map_inbound(ExternalMessage(payload, {"content-type": "application/octet-stream",
                                                             "device_id": "sensor1"}))
    assert command.value == {"temperature": {"properties": {"value": 25.43}},
                             "pressure": {"properties": {"value": 1015}},
                             "humidity": {"properties": {"value": 42}}}


def test_the_outgoing_example_and_the_default_templates_pass_ditto_protocol_through(
        mappers: list[JavaScriptMapper]) -> None:
    for options in ({"outgoingScript": OUTGOING_EXAMPLE}, {}):
        mapper = mapper_of(mappers, options)
        [message] = mapper.map_outbound(envelope_from_json(EVENT))
        assert message.content_type == "application/vnd.eclipse.ditto+json"
        assert message.headers["correlation-id"] == "c-1"
        sent = orjson.loads(message.payload)
        assert (sent["topic"], sent["path"], sent["value"]) == (EVENT["topic"], EVENT["path"], True)
    default = mapper_of(mappers, {})
    ditto = orjson.dumps({k: v for k, v in EVENT.items() if k != "revision"})
    [inbound] = default.map_inbound(ExternalMessage(ditto, {"content-type": "application/vnd.eclipse.ditto+json"}))
    assert envelope_to_json(inbound)["path"] == "/attributes/on"
    [binary] = default.map_inbound(ExternalMessage(ditto, {"content-type": "application/octet-stream"}))
    assert binary.value is True
    assert default.map_inbound(ExternalMessage(b"\x00\x01", {"content-type": "application/octet-stream"})) == []


def test_wrapper_functions_see_the_whole_message(mappers: list[JavaScriptMapper]) -> None:
    mapper = mapper_of(mappers, {
        "incomingScript": """
            function mapToDittoProtocolMsgWrapper(externalMsg) {
              return [1, 2].map(function (n) {
                return Ditto.buildDittoProtocolMsg('org.acme', externalMsg.headers['device'], 'things', 'twin',
                  'commands', 'modify', '/attributes/n' + n, {}, externalMsg.textPayload + n);
              });
            }""",
        "outgoingScript": """
            function mapFromDittoProtocolMsgWrapper(msg) {
              return Ditto.buildExternalMsg({'revision': msg.revision, 'topic': Ditto.buildTopic('a', 'b',
                'policies', 'none', 'commands', 'modify')}, msg.path, null, 'text/plain');
            }"""})
    commands = mapper.map_inbound(ExternalMessage(b"v", {"device": "d-1", "content-type": "text/plain"}))
    assert [(c.path, c.value) for c in commands] == [("/attributes/n1", "v1"), ("/attributes/n2", "v2")]
    [message] = mapper.map_outbound(envelope_from_json(EVENT))
    assert message.payload == b"/attributes/on"
    assert message.headers == {"revision": "3", "topic": "a/b/policies/commands/modify", "content-type": "text/plain"}


def test_helpers_convert_between_strings_and_array_buffers(mappers: list[JavaScriptMapper]) -> None:
    mapper = mapper_of(mappers, {"outgoingScript": """
        function mapFromDittoProtocolMsg(namespace, name, group, channel, criterion, action, path, headers, value) {
          let buffer = Ditto.stringToArrayBuffer('AB\\u00ff');
          return Ditto.buildExternalMsg({'back': Ditto.arrayBufferToString(buffer)}, null, buffer,
                                        'application/octet-stream');
        }"""})
    [message] = mapper.map_outbound(envelope_from_json(EVENT))
    assert message.payload == b"AB\xff" and message.headers["back"] == "AB\u00ff"


def test_bytebuffer_and_long_as_dittos_documentation_uses_them(mappers: list[JavaScriptMapper]) -> None:
    mapper = mapper_of(mappers, {"loadBytebufferJS": "true", "loadLongJS": "true", "incomingScript": """
        function mapToDittoProtocolMsg(headers, textPayload, bytePayload, contentType) {
          let byteBuf = Ditto.asByteBuffer(bytePayload);
          let numberFromBytes = parseInt(byteBuf.toHex(), 16);
          let base64encoded = byteBuf.toBase64();
          let buf = dcodeIO.ByteBuffer.fromBase64(base64encoded);
          let value = {hex: byteBuf.toHex(), number: numberFromBytes, base64: base64encoded,
                       int: buf.readInt(), text: buf.readUTF8String(4), remaining: buf.remaining(),
                       long: buf.readLong().toString(), little: dcodeIO.ByteBuffer.wrap(bytePayload).LE().readInt16(),
                       sum: dcodeIO.Long.fromString('9007199254740993').add(1).toString()};
          return Ditto.buildDittoProtocolMsg('org.acme', 'd', 'things', 'twin', 'commands', 'modify',
                                             '/attributes/decoded', {}, value);
        }"""})
    payload = struct.pack(">i", -2) + "héjo".encode() + struct.pack(">q", -5)
    [command] = mapper.map_inbound(ExternalMessage(payload, {"content-type": "application/octet-stream"}))
    assert command.value == {"hex": payload.hex(), "number": float(int(payload.hex(), 16)), "base64":
                             __import__("base64").b64encode(payload).decode(), "int": -2, "text": "héjo",
                             "remaining": 8, "long": "-5", "little": struct.unpack("<h", payload[:2])[0],
                             "sum": "9007199254740994"}


def test_asbytebuffer_without_the_library_fails_cleanly(mappers: list[JavaScriptMapper]) -> None:
    mapper = mapper_of(mappers, {"incomingScript": """
        function mapToDittoProtocolMsg(headers, textPayload, bytePayload) {
          return Ditto.asByteBuffer(bytePayload);
        }"""})
    with pytest.raises(MappingFailed, match="loadBytebufferJS"):
        mapper.map_inbound(ExternalMessage(b"\x01"))


# --- hostile scripts -----------------------------------------------------------------------------------------

def inbound_script(body: str) -> JsonObject:
    return {"incomingScript": "function mapToDittoProtocolMsg(headers, textPayload, bytePayload, contentType) {"
                              + body + "}"}


@pytest.mark.parametrize(("body", "reason"), [
    ("while (true) {}", "did not finish"),
    ("throw new Error('boom');", "boom"),
    ("function r(n) { return r(n + 1); } return r(0);", "call stack"),
    ("return 42;", "no Ditto Protocol"),
    ("return 'text';", "no Ditto Protocol"),
    ("return [{topic: 'x'}];", "no Ditto Protocol"),
    ("return {topic: 'a/b/things/twin/commands/modify'};", "no Ditto Protocol"),
    ("return 'x'.repeat(5000000);", "more than"),
    ("let o = {}; let c = o; for (let i = 0; i < 100000; i++) { c.n = {}; c = c.n; } return o;", None),
    ("return undefined;", None),
])
def test_a_hostile_incoming_script_is_a_mapping_failure(mappers: list[JavaScriptMapper], body: str,
                                                       reason: str | None) -> None:
    mapper = mapper_of(mappers, inbound_script(body), FAST if "while (true)" in body else GENEROUS)
    if body == "return undefined;":
        assert mapper.map_inbound(ExternalMessage(b"x")) == []  # undefined, as null, drops the message
        return
    with pytest.raises(MappingFailed, match=reason):
        mapper.map_inbound(ExternalMessage(b"x"))


def test_a_script_that_allocates_without_end_hits_the_memory_limit(mappers: list[JavaScriptMapper]) -> None:
    mapper = mapper_of(mappers, inbound_script("let a = []; while (true) { a.push(new Array(1000000).fill(1)); }"),
                       GENEROUS)  # so that memory, not time, runs out
    with pytest.raises(MappingFailed, match="memory limit"):
        mapper.map_inbound(ExternalMessage(b"x"))


def test_the_context_survives_timeouts_and_is_rebuilt_after_memory_exhaustion(
        mappers: list[JavaScriptMapper]) -> None:
    mapper = mapper_of(mappers, inbound_script("""
        if (textPayload === 'loop') { while (true) {} }
        if (textPayload === 'hog') { globalThis.hoard = []; while (true) { hoard.push(new Array(100000).fill(1)); } }
        return Ditto.buildDittoProtocolMsg('org.acme', 'd', 'things', 'twin', 'commands', 'modify', '/attributes/x',
                                           {}, textPayload);"""), FAST)
    for poison in ("loop", "hog", "loop", "hog"):
        with pytest.raises(MappingFailed):
            mapper.map_inbound(ExternalMessage(poison.encode(), {"content-type": "text/plain"}))
        [command] = mapper.map_inbound(ExternalMessage(b"fine", {"content-type": "text/plain"}))
        assert command.value == "fine"


@pytest.mark.parametrize(("body", "reason"), [
    ("return 42;", "no external message"),
    ("return Ditto.buildExternalMsg({}, undefined, undefined, 'text/plain');", "Neither"),
    ("return Ditto.buildExternalMsg({}, null, {not: 'bytes'}, 'x');", "bytePayload"),
    ("return Ditto.buildExternalMsg({}, null, new Uint8Array(2000000), 'x');", "larger"),
    ("while (true) {}", "did not finish"),
])
def test_a_hostile_outgoing_script_is_a_mapping_failure(mappers: list[JavaScriptMapper], body: str,
                                                       reason: str) -> None:
    mapper = mapper_of(mappers, {"outgoingScript": "function mapFromDittoProtocolMsg() {" + body + "}"},
                       FAST if "while (true)" in body else GENEROUS)
    with pytest.raises(MappingFailed, match=reason):
        mapper.map_outbound(envelope_from_json(EVENT))


@pytest.mark.parametrize("options", [
    {"incomingScript": "function ("},
    {"outgoingScript": "throw new Error('at load');"},
    {"incomingScript": "while (true) {}"},
    {"incomingScript": "x" * (MAX_SCRIPT_SIZE + 1)},
    {"incomingScript": {"not": "a string"}},
])
def test_a_script_that_cannot_load_is_a_configuration_error(mappers: list[JavaScriptMapper],
                                                           options: JsonObject) -> None:
    with pytest.raises(MapperConfigurationInvalid):
        mapper_of(mappers, options, FAST)


def test_an_oversize_payload_is_refused_before_the_script_runs(mappers: list[JavaScriptMapper]) -> None:
    mapper = mapper_of(mappers, {})
    with pytest.raises(MappingFailed, match="more than"):
        mapper.map_inbound(ExternalMessage(b"x" * (300 * 1024)))


def test_a_closed_mapper_refuses_to_map(mappers: list[JavaScriptMapper]) -> None:
    mapper = mapper_of(mappers, {})
    mapper.close()
    mapper.close()  # closing twice is harmless
    with pytest.raises(MappingFailed, match="closed"):
        mapper.map_outbound(envelope_from_json(EVENT))


def test_script_state_persists_between_calls_of_one_mapper(mappers: list[JavaScriptMapper]) -> None:
    mapper = mapper_of(mappers, inbound_script("""
        globalThis.count = (globalThis.count || 0) + 1;
        return Ditto.buildDittoProtocolMsg('org.acme', 'd', 'things', 'twin', 'commands', 'modify',
                                           '/attributes/count', {}, count);"""))
    values = [mapper.map_inbound(ExternalMessage(b""))[0].value for _ in range(3)]
    assert values == [1, 2, 3]


def test_a_script_cannot_replace_the_bridge_python_calls(mappers: list[JavaScriptMapper]) -> None:
    mapper = mapper_of(mappers, inbound_script("""
        try { __twinhub = {inbound: function () { return '[{"topic": 1}]'; }}; } catch (e) {}
        return Ditto.buildDittoProtocolMsg('org.acme', 'd', 'things', 'twin', 'commands', 'modify',
                                           '/attributes/x', {}, 1);"""))
    for _ in range(2):
        [command] = mapper.map_inbound(ExternalMessage(b""))
        assert command.path == "/attributes/x"
