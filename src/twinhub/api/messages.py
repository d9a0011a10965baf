"""Ditto's Messages API and the live channel of the Things API.

    POST /api/2/things/{id}[/features/{f}]/{inbox|outbox}/messages/{subject}   send a live message
    POST /api/2/things/{id}/inbox/claim                                        the claim message
    GET  the same message paths, Accept: text/event-stream                     messages as they pass
    GET|PUT|PATCH|DELETE /api/2/things/{id}/... ?channel=live                  a live command (from things.py)

A message needs WRITE on its `message:/` resource (the claim message none) and waits `timeout` (default
10 s; claim 60 s, at most 10 min) for the first response: its status, body and content type are the
answer; none in time is 408, `timeout=0` or `response-required=false` 202 at once. Messages and live commands
that requested custom acknowledgements (`live-response` added while a response is required, as Ditto's ack request
setters do) are answered with their aggregation instead, as twin writes are.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Final

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from twinhub.api import headers as request_headers
from twinhub.api.body import read_body, read_json, require_json, require_merge_patch
from twinhub.api.context import Context, context_of
from twinhub.api.headers import RequestHeaders, ditto_header
from twinhub.api.paths import decode_keys, decode_thing_id
from twinhub.api.responses import empty_response, error_response, json_response
from twinhub.auth.context import AuthContext
from twinhub.model.errors import (
    HeaderInvalid,
    LiveChannelConditionNotAllowed,
    MessageSubjectInvalid,
    MethodNotAllowed,
    ResourceNotFound,
    ThingConditionFailed,
    TimeoutInvalid,
)
from twinhub.model.headers import live_requested_acks, parse_bool, parse_requested_acks, parse_timeout
from twinhub.model.ids import parse_thing_id
from twinhub.model.live import (
    CLAIM_SUBJECT,
    LiveAction,
    LiveCommand,
    LiveMessage,
    LiveResponse,
    LiveSignal,
    aggregate_acknowledgements,
)
from twinhub.model.live import Direction as MessageDirection
from twinhub.model.patches import check_http_patch
from twinhub.model.resources import classify
from twinhub.model.types import MISSING, JsonValue, Pointer
from twinhub.protocol import payload_from_bytes, payload_kind
from twinhub.service.conditions import parse_condition
from twinhub.service.live import Unanswered, new_correlation_id
from twinhub.service.live_acks import aggregates, collect_live_acks

__all__ = ["is_live", "live_command", "routes"]

MESSAGE_TIMEOUT: Final = 10.0  # Ditto's default for messages and live commands
MESSAGE_MAX_TIMEOUT: Final = 60.0
CLAIM_TIMEOUT: Final = 60.0
CLAIM_MAX_TIMEOUT: Final = 600.0
SSE_KEEPALIVE: Final = 10.0  # seconds between comment lines that keep an idle message stream open
EVENT_STREAM: Final = "text/event-stream"

_MESSAGE_PATH = re.compile(r"/api/2/things/([^/]+)(?:/features/([^/]+))?/(inbox|outbox)/messages(?:/(.*))?")
_DIRECTIONS: Final[dict[str, MessageDirection]] = {"inbox": "inbox", "outbox": "outbox"}
_LIVE_ACTIONS: Final[dict[str, LiveAction]] = {"GET": "retrieve", "PUT": "modify", "PATCH": "merge",
                                               "DELETE": "delete"}


def _timeout(request: Request, default: float, maximum: float) -> float:
    text = ditto_header(request, "timeout")
    return default if text is None else parse_timeout(text, maximum=maximum)


def _timeout_header(seconds: float) -> str:
    return f"{seconds:g}" if seconds == int(seconds) else f"{round(seconds * 1000)}ms"


# -- sending messages ------------------------------------------------------------------------------


async def message_resource(request: Request) -> Response:
    ctx = context_of(request)
    auth = await ctx.authenticate(request)
    raw_path = request.scope["raw_path"].decode("latin-1")
    match = _MESSAGE_PATH.fullmatch(raw_path)
    if match is None:
        raise ResourceNotFound(request.url.path)
    thing_id = decode_thing_id(match[1])
    parse_thing_id(thing_id)
    feature_id = decode_keys([match[2]])[0] if match[2] is not None else None
    direction = _DIRECTIONS[match[3]]
    if request.method == "GET" and EVENT_STREAM in request.headers.get("accept", ""):
        return _stream_messages(ctx, auth, thing_id, feature_id, direction, match[4] or None)
    if request.method != "POST":
        raise MethodNotAllowed(request.method, ["POST"])
    if not match[4]:
        raise MessageSubjectInvalid(match[4] or "")
    message = LiveMessage(thing_id, match[4].removeprefix("/"), direction, feature_id)
    return await _send(request, ctx, auth, message, MESSAGE_TIMEOUT, MESSAGE_MAX_TIMEOUT)


async def claim_resource(request: Request) -> Response:
    ctx = context_of(request)
    auth = await ctx.authenticate(request)
    if request.method != "POST":
        raise MethodNotAllowed(request.method, ["POST"])
    thing_id = decode_thing_id(request.scope["raw_path"].decode("latin-1").split("/")[4])
    parse_thing_id(thing_id)
    message = LiveMessage(thing_id, CLAIM_SUBJECT, "inbox", claim=True)
    return await _send(request, ctx, auth, message, CLAIM_TIMEOUT, CLAIM_MAX_TIMEOUT)


async def _send(request: Request, ctx: Context, auth: AuthContext, message: LiveMessage, default_timeout: float,
                max_timeout: float) -> Response:
    timeout = _timeout(request, default_timeout, max_timeout)
    required_text = ditto_header(request, "response-required")
    response_required = timeout != 0 if required_text is None else parse_bool("response-required", required_text)
    if timeout == 0 and response_required:
        raise TimeoutInvalid("A timeout of 0 cannot be combined with 'response-required=true'.")
    acks_text = ditto_header(request, "requested-acks")
    requested = parse_requested_acks(acks_text) if acks_text is not None else None
    if requested and timeout == 0:
        raise TimeoutInvalid("A timeout of 0 cannot be combined with requested acknowledgements.")
    labels = live_requested_acks(requested, response_required=response_required)
    condition_text = ditto_header(request, "condition")
    condition = parse_condition(condition_text) if condition_text else None
    correlation_id = request_headers.correlation_id(request) or new_correlation_id()
    body = await read_body(request, ctx.settings.max_request_size)
    content_type = request.headers.get("content-type") or ("application/octet-stream" if body else None)
    if body and payload_kind(content_type) == "json":  # parsed here as Ditto does: 400 for bad or too deep JSON
        payload_from_bytes(body, content_type)
    headers = {"correlation-id": correlation_id, "ditto-originator": auth.default_subject,
               "timeout": _timeout_header(timeout), "response-required": str(response_required).lower()}
    if content_type is not None:
        headers["content-type"] = content_type
    if labels:
        headers["requested-acks"] = orjson.dumps(labels).decode()
    message = replace(message, payload=body, content_type=content_type, headers=headers)
    echoed = {"correlation-id": correlation_id}
    if response_required and aggregates(labels):
        acks = await collect_live_acks(
            ctx.live, labels, lambda wait: ctx.live.send_message(message, auth.subjects, timeout=wait,
                                                                 condition=condition),
            thing_id=message.thing_id, correlation_id=correlation_id, timeout=timeout)
        status, aggregated = aggregate_acknowledgements({ack.label: ack for ack in acks})
        return empty_response(status, echoed) if aggregated is MISSING else json_response(aggregated, status, echoed)
    response = await ctx.live.send_message(message, auth.subjects, timeout=timeout if response_required else 0,
                                           condition=condition)
    if not response_required:
        return Response(status_code=202, headers=echoed)
    if isinstance(response, Unanswered):
        return error_response(response.error(timeout, "message"), correlation_id)
    return _answer(response, echoed)


def _answer(response: LiveResponse, headers: dict[str, str]) -> Response:
    """A responder's answer as it was: status, body and content type."""
    if response.status in (204, 304) or (not response.payload and response.content_type is None):
        return Response(status_code=response.status, headers=headers)
    return Response(response.payload, status_code=response.status, headers=headers,
                    media_type=response.content_type or "application/octet-stream")


# -- receiving messages as server-sent events ------------------------------------------------------


def _stream_messages(ctx: Context, auth: AuthContext, thing_id: str, feature_id: str | None,
                     direction: MessageDirection, subject: str | None) -> Response:
    """Ditto's message SSE: each message the caller may READ, `event: <subject>` and its payload as text."""

    def wanted(signal: LiveSignal) -> bool:
        return (isinstance(signal, LiveMessage) and signal.thing_id == thing_id and signal.feature_id == feature_id
                and signal.direction == direction and (subject is None or signal.subject == subject))

    receiver = ctx.live.receive(("messages",), auth.subjects, accept=wanted,
                                max_bytes=ctx.settings.session_buffer_bytes, budget=ctx.budget)

    async def events() -> AsyncIterator[bytes]:
        try:
            while True:
                try:
                    async with asyncio.timeout(SSE_KEEPALIVE):
                        signal = await receiver.next()
                except TimeoutError:
                    yield b":\n\n"
                    continue
                if signal is None:
                    return
                assert isinstance(signal, LiveMessage)
                yield _sse_event(signal)
        finally:
            receiver.close()

    return StreamingResponse(events(), media_type=EVENT_STREAM, headers={"Cache-Control": "no-cache"})


def _sse_event(message: LiveMessage) -> bytes:
    charset = "utf-8"
    for parameter in (message.content_type or "").split(";")[1:]:
        name, _, value = parameter.strip().partition("=")
        if name.lower() == "charset" and value:
            charset = value.strip('"')
    try:
        text = message.payload.decode(charset, errors="replace")
    except LookupError:
        text = message.payload.decode("utf-8", errors="replace")
    lines = "".join(f"data: {line}\n" for line in text.splitlines() or [""])
    return f"event: {message.subject}\n{lines}\n".encode()


# -- live commands on the Things API ---------------------------------------------------------------


def is_live(request: Request) -> bool:
    """Whether a Things API request goes (or may go) to the device: `channel=live` or a
    `live-channel-condition`. Raises 400 for a channel other than twin or live."""
    channel = ditto_header(request, "channel")
    if channel is not None and channel not in ("twin", "live"):
        raise HeaderInvalid("channel", channel, "channel (twin or live)")
    return channel == "live" or ditto_header(request, "live-channel-condition") is not None


async def live_command(request: Request, ctx: Context, auth: AuthContext, thing_id: str, path: Pointer,
                       headers: RequestHeaders, *, twin: Callable[[], Awaitable[Response]]) -> Response:
    """The request as a live command: the first live response answers (its status and body, the body of
    a retrieve cut down to what the caller may READ), 408 when none comes in time (or, for a retrieve
    with `live-channel-timeout-strategy=use-twin`, `twin()`'s answer). A `live-channel-condition` sends
    a retrieve live only when the twin matches it, else `twin()` answers."""
    action = _LIVE_ACTIONS.get(request.method)
    if action is None:
        raise MethodNotAllowed(request.method, list(_LIVE_ACTIONS))
    strategy = ditto_header(request, "live-channel-timeout-strategy") or "fail"
    if strategy not in ("fail", "use-twin"):
        raise HeaderInvalid("live-channel-timeout-strategy", strategy, "strategy (fail or use-twin)")
    condition_text = ditto_header(request, "live-channel-condition")
    extra: dict[str, str] = {}
    if condition_text is not None:
        if action != "retrieve":
            raise LiveChannelConditionNotAllowed()
        try:
            await ctx.things.retrieve(thing_id, (), auth.subjects, condition=parse_condition(condition_text))
            extra["live-channel-condition-matched"] = "true"
        except ThingConditionFailed:
            return _channel(await twin(), "twin", {"live-channel-condition-matched": "false"})
    value: JsonValue = None
    if action == "modify":
        require_json(request)
        value = await read_json(request, ctx.settings.max_request_size)
    elif action == "merge":
        require_merge_patch(request)
        value = await read_json(request, ctx.settings.max_request_size)
        check_http_patch(classify(path), value)  # the same MergeThing as the twin's, built before the channel
    timeout = headers.timeout if ditto_header(request, "timeout") is not None else MESSAGE_TIMEOUT
    correlation_id = headers.correlation_id or new_correlation_id()
    acks_text = ditto_header(request, "requested-acks")  # validated by parse_headers, which set the twin's default
    labels = live_requested_acks(None if acks_text is None else parse_requested_acks(acks_text),
                                 response_required=headers.response_required)
    command_headers = {"correlation-id": correlation_id, "ditto-originator": auth.default_subject,
                       "timeout": _timeout_header(timeout), "response-required": str(headers.response_required).lower()}
    if labels:
        command_headers["requested-acks"] = orjson.dumps(labels).decode()
    command = LiveCommand(thing_id, action, path, value if action in ("modify", "merge") else MISSING, command_headers)
    echoed = {"correlation-id": correlation_id, **extra}
    if headers.response_required and aggregates(labels):
        acks = await collect_live_acks(
            ctx.live, labels, lambda wait: ctx.live.send_command(command, auth.subjects, timeout=wait),
            thing_id=thing_id, correlation_id=correlation_id, timeout=timeout)
        status, aggregated = aggregate_acknowledgements({ack.label: ack for ack in acks})
        answer = empty_response(status, echoed) if aggregated is MISSING else json_response(aggregated, status, echoed)
        return _channel(answer, "live", {})
    response = await ctx.live.send_command(command, auth.subjects,
                                           timeout=timeout if headers.response_required else 0)
    if not headers.response_required:
        return _channel(Response(status_code=202), "live", echoed)
    if isinstance(response, Unanswered):
        if strategy == "use-twin" and action == "retrieve":
            return _channel(await twin(), "twin", extra)
        return _channel(error_response(response.error(timeout, "live command"), correlation_id), "live", extra)
    return _channel(_answer(response, echoed), "live", {})


def _channel(response: Response, channel: str, headers: dict[str, str]) -> Response:
    response.headers.update({**headers, "channel": channel})
    return response


# Messages are matched before the Things API's catch-all `/api/2/things/{rest:path}`.
_METHODS = ["GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS"]
routes = [
    Route("/api/2/things/{thing_id}/inbox/claim", claim_resource, methods=_METHODS),
    *(Route(f"/api/2/things/{{thing_id}}{feature}/{box}/messages{subject}", message_resource, methods=_METHODS)
      for feature in ("", "/features/{feature_id}")
      for box in ("inbox", "outbox")
      for subject in ("", "/{subject:path}")),
]
