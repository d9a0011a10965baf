"""`JavaScript`: Ditto's scripted mapper on V8 (mini-racer), so that Ditto users' scripts run unchanged.

A script defines `mapToDittoProtocolMsg(headers, textPayload, bytePayload, contentType)` (inbound) and
`mapFromDittoProtocolMsg(namespace, name, group, channel, criterion, action, path, dittoHeaders, value, status,
extra)` (outbound), or their `...Wrapper` forms taking the whole message; the `Ditto.*` helpers
(`buildDittoProtocolMsg`, `buildExternalMsg`, `buildTopic`, `arrayBufferToString`, `stringToArrayBuffer`,
`asByteBuffer`) and, on request, `dcodeIO.ByteBuffer` and `dcodeIO.Long` (our own, as far as mapping scripts
use them) are there. A script returns one message, an array of them, or null (dropped).

Options: `incomingScript`, `outgoingScript` (absent or empty: Ditto's templates, which pass Ditto Protocol
through), `loadBytebufferJS`, `loadLongJS` (`"true"`).

One V8 context per mapper, reused for every call and closed with the mapper. Each call runs under a time
limit and a hard memory limit (`ScriptLimits`); a script that loops, throws, recurses too deep, returns
something that is no message, or allocates without end is a `MappingFailed`, never a hang or a crash. A
context that hit its memory limit is thrown away and built anew (the script's global state starts over).
Calls are serialised per mapper (V8 contexts are single-threaded) and block the calling thread for up to the
time limit: async code calls the mapper from a worker thread (`asyncio.to_thread`).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Final

from py_mini_racer import (
    JSEvalException,
    JSOOMException,
    JSParseException,
    JSTimeoutException,
    MiniRacer,
    mini_racer,
)

from twinhub.connectivity.external import ExternalMessage
from twinhub.connectivity.mapping.base import MapperConfigurationInvalid, MapperContext, MappingFailed
from twinhub.connectivity.mapping.support import MAX_PAYLOAD_SIZE, header_text, option_bool, option_text
from twinhub.model.json import MAX_JSON_DEPTH, JsonTooDeep, dumps, loads
from twinhub.model.types import JsonValue
from twinhub.protocol import Envelope, ProtocolError, envelope_from_json, envelope_to_json

__all__ = ["DEFAULT_LIMITS", "MAX_SCRIPT_SIZE", "JavaScriptMapper", "ScriptLimits"]

MAX_SCRIPT_SIZE: Final = 50_000  # characters of one script (Ditto's default limit)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptLimits:
    """Per call: `timeout` seconds, `max_memory` bytes of the V8 heap; `max_output` characters returned."""

    timeout: float = 0.5  # Ditto's default maximum script execution time
    max_memory: int = 64 * 1024 * 1024
    max_output: int = 4 * MAX_PAYLOAD_SIZE


DEFAULT_LIMITS: Final = ScriptLimits()


class _Engine:
    """A V8 context and the event loop mini-racer drives it through, on a thread of its own. Owning the loop
    keeps V8 off the caller's running loop (whose thread would then have to wait on itself) and lets the
    context be freed while the loop still takes V8's last callbacks (those of an interrupted call)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="twinhub-javascript", daemon=True)
        self.thread.start()
        self._context = mini_racer(self.loop)
        try:
            self.racer: MiniRacer = self._context.__enter__()
        except BaseException:
            self._stop_loop()
            raise

    def close(self) -> None:
        try:
            self._context.__exit__(None, None, None)
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


def _library(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


class JavaScriptMapper:
    def __init__(self, context: MapperContext, *, limits: ScriptLimits = DEFAULT_LIMITS) -> None:
        self.context = context
        self.limits = limits
        incoming = option_text(context, "incomingScript") or ""
        outgoing = option_text(context, "outgoingScript") or ""
        for name, script in (("incomingScript", incoming), ("outgoingScript", outgoing)):
            if len(script) > MAX_SCRIPT_SIZE:
                raise MapperConfigurationInvalid(f"The option <{name}> of mapper <{context.alias}> has "
                                                 f"{len(script)} characters, more than {MAX_SCRIPT_SIZE}.")
        sources = [("scope.js", _library("scope.js"))]
        if option_bool(context, "loadLongJS", False):
            sources.append(("long.js", _library("long.js")))
        if option_bool(context, "loadBytebufferJS", False):
            sources.append(("bytebuffer.js", _library("bytebuffer.js")))
        sources += [("incoming.js", _library("incoming.js")), ("incomingScript", incoming),
                    ("outgoing.js", _library("outgoing.js")), ("outgoingScript", outgoing),
                    ("bridge.js", _library("bridge.js").replace("__TWINHUB_MAX_TEXT__", str(limits.max_output)))]
        self._sources = sources
        self._lock = threading.Lock()
        self._engine: _Engine | None = self._start()

    def _start(self) -> _Engine:
        """A context with the libraries and scripts evaluated; raises MapperConfigurationInvalid when a script
        does not compile or its top level fails or exceeds the limits."""
        engine = _Engine()
        for name, source in self._sources:
            try:
                engine.racer.eval(source, timeout_sec=self.limits.timeout, max_memory=self.limits.max_memory)
            except (JSParseException, JSEvalException) as error:
                engine.close()
                raise MapperConfigurationInvalid(
                    f"The {name} of mapper <{self.context.alias}> cannot be loaded: {_first_line(error)}") from error
        return engine

    def map_inbound(self, message: ExternalMessage) -> Sequence[Envelope]:
        if len(message.payload) > MAX_PAYLOAD_SIZE:
            raise MappingFailed(f"The payload has {len(message.payload)} bytes, more than {MAX_PAYLOAD_SIZE}.")
        content_type = message.content_type or message.header("content-type")
        text = message.text if message.is_text else None
        external: dict[str, JsonValue] = {"headers": dict(message.headers), "textPayload": text,
                                          "contentType": content_type}
        results = self._call("__twinhub.inbound", dumps(external).decode(), message.payload.decode("latin-1"))
        envelopes = []
        for result in results:
            try:
                envelopes.append(envelope_from_json(result))
            except ProtocolError as error:
                raise MappingFailed(f"The incoming script returned no Ditto Protocol message: "
                                    f"{error.message}") from error
        return envelopes

    def map_outbound(self, envelope: Envelope) -> Sequence[ExternalMessage]:
        results = self._call("__twinhub.outbound", dumps(envelope_to_json(envelope)).decode())
        messages = []
        for result in results:
            if not isinstance(result, dict):
                raise MappingFailed("The outgoing script returned something that is no external message.")
            messages.append(_external_message(result))
        return messages

    def _call(self, function: str, *arguments: str) -> list[JsonValue]:
        with self._lock:
            if self._engine is None:
                raise MappingFailed(f"The mapper <{self.context.alias}> is closed.")
            try:
                output = self._engine.racer.call(function, *arguments, timeout_sec=self.limits.timeout,
                                                 max_memory=self.limits.max_memory)
            except JSTimeoutException as error:
                raise MappingFailed(f"The script of mapper <{self.context.alias}> did not finish within "
                                    f"{self.limits.timeout} s.") from error
            except JSOOMException as error:
                self._engine.close()
                self._engine = None
                with contextlib.suppress(MapperConfigurationInvalid):  # it loaded before; if not, stay closed
                    self._engine = self._start()
                raise MappingFailed(f"The script of mapper <{self.context.alias}> exceeded its memory limit of "
                                    f"{self.limits.max_memory} bytes.") from error
            except JSEvalException as error:
                raise MappingFailed(f"The script of mapper <{self.context.alias}> failed: "
                                    f"{_first_line(error)}") from error
        if not isinstance(output, str):
            raise MappingFailed("The script returned no JSON.")
        try:
            results = loads(output, max_depth=MAX_JSON_DEPTH + 1)
        except (JsonTooDeep, ValueError) as error:
            raise MappingFailed(f"The script returned JSON nested too deep or malformed: {error}") from error
        if not isinstance(results, list):
            raise MappingFailed("The script returned no list of messages.")
        return results

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None


def _external_message(result: dict[str, JsonValue]) -> ExternalMessage:
    raw_headers = result.get("headers")
    headers = {name: header_text(value) for name, value in raw_headers.items() if value is not None} if isinstance(
        raw_headers, dict) else {}
    content_type = result.get("contentType")
    if isinstance(content_type, str):
        headers["content-type"] = content_type
    data = result.get("bytes")
    text = result.get("textPayload")
    if isinstance(data, str):
        payload = data.encode("latin-1")
    elif isinstance(text, str):
        payload = text.encode("utf-8")
    else:
        raise MappingFailed("Neither <bytePayload> nor <textPayload> were defined in the outgoing script.")
    return ExternalMessage(payload, headers, content_type if isinstance(content_type, str) else None)


def _first_line(error: Exception) -> str:
    """V8's message without the source excerpt and stack that follow it."""
    lines = [line for line in str(error).splitlines() if line.strip()]
    message = next((line for line in lines if "Error" in line and not line.startswith("    at ")), lines[0] if
                   lines else type(error).__name__)
    return message[:300]
