"""Server-sent events (Ditto's httpapi-sse), chosen by `Accept: text/event-stream` on a GET of:

* `/api/2/things` (`ids`, `namespaces`, `filter`, `extraFields`, `fields`), `/api/2/things/{id}` and
  `/api/2/things/{id}/<path>`: one `data:` line per committed change the caller may READ, holding the
  thing JSON of the readable changed part merged with the extra fields, projected by `fields` (which may
  also pick `_revision`, `_modified`, `_context`); on a sub-path, the value at that path (as a GET there
  shows it, `fields` relative to it). Keep-alive comments every `KEEP_ALIVE_SECONDS`.
* the same with `from-historical-revision` / `from-historical-timestamp` (and `to-...`; on one thing):
  the journal's events in that range (the thing's current life only), each READ-filtered with the policy
  it was under and the current one (`twinhub.service.historical`), then the stream ends.
* `/api/2/search/things` (`filter`, `option`, `fields`, `namespaces`): every hit, all pages, one event
  each with `id:<thingId>`, then the stream ends; `Last-Event-ID` resumes after that thing.

Bad input is answered with Ditto's JSON error before the stream starts. A watcher that falls too far
behind (`session_buffer_bytes`, or the most behind when the worker's `buffer_budget_bytes` are used up)
is cut off: a last comment says so and the stream ends (an EventSource then reconnects).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime

import orjson
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from twinhub.api.context import Context
from twinhub.api.headers import correlation_id, http_header, parse_timestamp
from twinhub.api.paths import query_values
from twinhub.auth.context import AuthContext
from twinhub.model.errors import HeaderInvalid, RequestInvalid, ThingIdInvalid, ThingIdsMissing, TwinhubError
from twinhub.model.events import ThingEvent, format_timestamp
from twinhub.model.fields import FieldSelector, parse_fields, select
from twinhub.model.ids import parse_thing_id
from twinhub.model.json import dumps
from twinhub.model.pointer import format_pointer, get_at
from twinhub.model.resources import classify
from twinhub.model.types import MISSING, JsonObject, JsonValue, Missing, Pointer
from twinhub.protocol import format_topic, thing_topic
from twinhub.rql.spec import MAX_PAGE_SIZE
from twinhub.service.event_headers import shown_event_headers
from twinhub.service.search import SearchPage
from twinhub.service.search_pages import PagedQuery, search_pages
from twinhub.service.streaming import (
    DEFAULT_WATCH_CAPACITY,
    Delivery,
    Watch,
    changed_thing,
    event_filter,
    merge_extra,
)
from twinhub.service.views import project_thing, project_value

__all__ = [
    "EVENT_STREAM",
    "KEEP_ALIVE_SECONDS",
    "WATCH_CAPACITY",
    "accepts_event_stream",
    "event_stream",
    "live_chunks",
    "stream_search",
    "stream_things",
]

EVENT_STREAM = "text/event-stream"
KEEP_ALIVE_SECONDS = 10.0
KEEP_ALIVE = b":\n\n"
WATCH_CAPACITY = DEFAULT_WATCH_CAPACITY  # deliveries a stream may lag behind before it is cut off
OVERFLOWED = b": twinhub: the stream fell too far behind its events and was closed; reconnect to go on\n\n"
_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def accepts_event_stream(request: Request) -> bool:
    """Whether the request asks for `text/event-stream` by name (wildcards keep the JSON answer)."""
    accept = (http_header(request, "accept") or "").lower()
    if EVENT_STREAM not in accept:  # every GET asks: most say nothing of it
        return False
    return any(part.split(";", 1)[0].strip() == EVENT_STREAM for part in accept.split(","))


# -- /things ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _History:
    from_revision: int | None
    to_revision: int | None
    from_timestamp: datetime | None
    to_timestamp: datetime | None


async def stream_things(request: Request, ctx: Context, auth: AuthContext, thing_id: str | None,
                        path: Pointer) -> Response:
    """The change stream of `/things` (`thing_id` None), of one thing, or of a path inside one thing."""
    params = request.query_params
    ids = _ids(query_values(request, "ids", ThingIdInvalid)[-1] if "ids" in params else None) \
        if thing_id is None else (thing_id,)
    if path:
        classify(path)  # a path Ditto has no thing resource for is 404
    watched = event_filter(namespaces=params.get("namespaces"), filter=params.get("filter"),
                           extra_fields=params.get("extraFields"), thing_ids=ids, path=path)
    fields = parse_fields(params["fields"]) if "fields" in params else None
    history = _history(request)
    if thing_id is not None:
        await ctx.events.authorize(auth.subjects, thing_id, path)

    def render_one(delivery: Delivery) -> bytes | None:
        # Streams seeing the same view with the same parameters share one encoded chunk.
        return delivery.rendered(("sse", path, fields), lambda: render_delivery(delivery, path, fields))

    if history is not None:
        if ids is None or len(ids) != 1:
            raise RequestInvalid("Historical events can be streamed for one thing only.",
                                 "Stream /api/2/things/{thingId} or give exactly one thing id in 'ids'.")
        replay = await ctx.events.history(
            ids[0], auth.subjects, watched, from_revision=history.from_revision,
            to_revision=history.to_revision, from_timestamp=history.from_timestamp,
            to_timestamp=history.to_timestamp)
        return event_stream(_replayed(replay, render_one), request)
    watch = ctx.events.watch(auth.subjects, watched, capacity=WATCH_CAPACITY,
                             max_bytes=ctx.settings.session_buffer_bytes, budget=ctx.budget)
    return event_stream(live_chunks(watch, render_one), request)


def _ids(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    ids = tuple(dict.fromkeys(thing_id.strip() for thing_id in text.split(",") if thing_id.strip()))
    if not ids:
        raise ThingIdsMissing()
    for thing_id in ids:
        parse_thing_id(thing_id)
    return ids


def _history(request: Request) -> _History | None:
    """The historical range asked for, or None for live events (only a `from-...` starts a replay)."""
    params = request.query_params
    from_revision = _revision(params, "from-historical-revision")
    from_timestamp = params.get("from-historical-timestamp")
    if from_revision is None and from_timestamp is None:
        return None
    to_timestamp = params.get("to-historical-timestamp")
    if from_revision is not None:  # as Ditto: revisions win over timestamps
        return _History(from_revision, _revision(params, "to-historical-revision"), None, None)
    assert from_timestamp is not None
    return _History(None, None, parse_timestamp("from-historical-timestamp", from_timestamp),
                    None if to_timestamp is None else parse_timestamp("to-historical-timestamp", to_timestamp))


def _revision(params: QueryParams, name: str) -> int | None:
    text = params.get(name)
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise HeaderInvalid(name, text, "revision number") from None


def render_delivery(delivery: Delivery, path: Pointer, fields: FieldSelector | None) -> bytes | None:
    """One `data:` event for a delivery, or None when nothing of it is to be shown (Ditto's rules)."""
    thing = changed_thing(delivery.event, delivery.value)
    if delivery.extra:
        thing = merge_extra(thing, delivery.extra)
    payload: JsonValue
    if path:
        found = get_at(thing, path)
        if found is MISSING:
            return None
        payload = project_value(found, fields)
        if fields is not None and payload == {}:
            return None
    else:
        payload = thing if fields is None else select(_with_specials(thing, delivery, fields), fields)
        if not payload:
            return None
    return b"data:" + dumps(payload) + b"\n\n"


def _with_specials(thing: JsonObject, delivery: Delivery, fields: FieldSelector) -> JsonObject:
    """The `_` fields and `_context` the selector asks for, from the event (as Ditto's event thing)."""
    event = delivery.event
    wanted = fields.top_level_keys()
    timestamp = format_timestamp(event.timestamp)
    specials: JsonObject = {"_namespace": event.thing_id.split(":", 1)[0], "_revision": event.revision,
                            "_modified": timestamp}
    if event.action == "created" and not event.path:
        specials["_created"] = timestamp
    shown = {**thing, **{name: value for name, value in specials.items() if name in wanted}}
    if "_context" in wanted:
        shown["_context"] = event_context(event, delivery.value)
    return shown


def event_context(event: ThingEvent, value: JsonValue | Missing) -> JsonObject:
    """The event in Ditto Protocol shape: topic, path, value (the readable one), headers."""
    context: JsonObject = {"topic": format_topic(thing_topic(event.thing_id, "events", event.action)),
                           "path": format_pointer(event.path)}
    if not isinstance(value, Missing):
        context["value"] = value
    context["headers"] = shown_event_headers(event.headers)
    return context


async def live_chunks(watch: Watch, render_one: Callable[[Delivery], bytes | None]) -> AsyncIterator[bytes]:
    """The chunks of a live stream: what `render_one` makes of each delivery of `watch`, keep-alives while
    nothing comes, and a last comment when the watch was cut off; the watch closes when the stream ends."""
    try:
        yield KEEP_ALIVE  # at once, so that the client (and any proxy) sees the stream open
        while True:
            try:
                async with asyncio.timeout(KEEP_ALIVE_SECONDS):
                    delivery = await anext(watch)
            except TimeoutError:
                yield KEEP_ALIVE
                continue
            except StopAsyncIteration:
                break
            chunk = render_one(delivery)
            if chunk is not None:
                yield chunk
        if watch.overflowed:
            yield OVERFLOWED
    finally:
        watch.close()  # also when the client went away and the response was cancelled


async def _replayed(deliveries: AsyncIterator[Delivery],
                    render_one: Callable[[Delivery], bytes | None]) -> AsyncIterator[bytes]:
    async for delivery in deliveries:
        chunk = render_one(delivery)
        if chunk is not None:
            yield chunk


def event_stream(chunks: AsyncIterator[bytes], request: Request) -> Response:
    """A `text/event-stream` response of `chunks`, unbuffered, echoing the request's correlation-id."""
    headers = dict(_HEADERS)
    correlation = correlation_id(request)  # as Ditto, a query parameter serves as the header
    if correlation:
        headers["correlation-id"] = correlation
    return StreamingResponse(chunks, media_type=EVENT_STREAM, headers=headers)


# -- /search/things --------------------------------------------------------------------------------


async def stream_search(request: Request, ctx: Context, auth: AuthContext) -> Response:
    """Every hit of a search as one event with `id:<thingId>`; `Last-Event-ID` resumes after that thing."""
    params = request.query_params
    namespaces = params.get("namespaces")
    fields = parse_fields(params["fields"]) if "fields" in params else None
    query = PagedQuery.parse(params.getlist("filter"), params.getlist("option"),
                             None if namespaces is None else [ns.strip() for ns in namespaces.split(",") if ns.strip()],
                             default_size=MAX_PAGE_SIZE)
    if last_id := request.headers.get("last-event-id"):
        query = query.resume_after(last_id)
    pages = search_pages(ctx.search, query, auth.subjects)
    first = await anext(pages)  # bad input fails here, before the stream
    return event_stream(_hits(first, pages, fields), request)


async def _hits(first: SearchPage, pages: AsyncIterator[SearchPage], fields: FieldSelector | None,
                ) -> AsyncIterator[bytes]:
    page: SearchPage | None = first
    try:
        while page is not None:
            for thing, view in page.things:
                data = dumps(project_thing(thing, view, fields))
                yield b"data:" + data + b"\nid:" + thing.thing_id.encode() + b"\n\n"
            page = await anext(pages, None)
    except TwinhubError as error:  # as Ditto: the error as the last event
        yield b"data:" + orjson.dumps(error.to_json()) + b"\n\n"
