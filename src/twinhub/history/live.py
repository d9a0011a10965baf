"""Live history: `GET /api/2/history/things/{thingId}/{path}` (or `?paths=a,b`) with `Accept: text/event-stream`
streams each new point of those paths as its write commits, one `data:` line per point (with `from=`, the stored
points from then on come first; with `from=` and `to=`, only those, then the stream ends):

    data:{"thingId":"org.example:sensor","path":"/features/temp/properties/value",
          "time":"2026-01-01T12:00:00.5Z","value":21.5,"revision":7}

`value` is null for a deletion marker (the leaf was removed). Points come from the committed events on the bus
(each carries the points its commit recorded), through the event hub as thing events do: the same READ rules
(a point is sent only when its path is readable under the thing's policy of that moment, so a policy change
takes effect from the next point on), the same keep-alives, and the same cut-off of a stream that falls too far
behind. Refused before the stream starts (by the route, through the history service), as a GET: 404 when the
caller may not READ the thing or a path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from twinhub.api import sse
from twinhub.history.context import Streams
from twinhub.history.series import format_time, scalar_json
from twinhub.model.json import dumps
from twinhub.model.points import Point
from twinhub.service.event_views import Delivery, EventFilter
from twinhub.service.streaming import Watch

__all__ = ["Replay", "render_point", "stream_history"]


# The stored points of the stream's paths from its `from` on, oldest first, up to a revision of the thing.
Replay = Callable[[int], AsyncIterator[Point]]


async def stream_history(request: Request, streams: Streams, subjects: tuple[str, ...], thing_id: str,
                         paths: tuple[str, ...], *, replay: Replay | None = None, live: bool = True) -> Response:
    """The point stream of `paths` (normalised JSON pointers, as `twinhub.history.parse_paths` gives them) of
    one thing: first what `replay` gives (the stored points), then, if `live`, each new point as it commits,
    none twice and none missed in between (the replay stops at the thing's revision when the watch began).
    The caller has authorized `paths` as GETs of them (`HistoryService.authorize`); each point is READ-checked
    again as it comes, under the policy of that moment."""
    if not live:
        if replay is None:
            raise ValueError("a stream that does not go live must replay")
        return sse.event_stream(_stored(replay(_NEWEST)), request)
    watched = EventFilter(thing_ids=frozenset({thing_id}), points=frozenset(path[1:] for path in paths))
    watch = streams.events.watch(subjects, watched, capacity=sse.WATCH_CAPACITY,
                                 max_bytes=streams.session_buffer_bytes, budget=streams.budget)
    if replay is None:
        return sse.event_stream(sse.live_chunks(watch, _render_points), request)
    try:
        # Watching first: every commit after the revision the store holds now reaches the watch, every one up
        # to it is in the store (read there, not from a cache another worker's commit may not have reached).
        thing = await streams.things.current(thing_id, min_revision=_NEWEST)
    except BaseException:
        watch.close()
        raise
    revision = thing.revision if thing is not None else 0
    return sse.event_stream(_stored_then_live(replay(revision), watch, revision), request)


_NEWEST: Final = 2**63 - 1


async def _stored(points: AsyncIterator[Point]) -> AsyncIterator[bytes]:
    yield sse.KEEP_ALIVE
    async for point in points:
        yield render_point(point)


async def _stored_then_live(points: AsyncIterator[Point], watch: Watch, revision: int) -> AsyncIterator[bytes]:
    def newer(delivery: Delivery) -> bytes | None:
        return _render_points(delivery) if delivery.event.revision > revision else None

    try:
        async for chunk in _stored(points):
            yield chunk
        async for chunk in sse.live_chunks(watch, newer):
            yield chunk
    finally:
        watch.close()  # also when the client left during the replay


def _render_points(delivery: Delivery) -> bytes | None:
    return b"".join(render_point(point) for point in delivery.points) or None


def render_point(point: Point) -> bytes:
    """One point as one `data:` event (integers of any size kept exact)."""
    value = "null" if point.value is None else scalar_json(point.value)
    return b"".join((b'data:{"thingId":', dumps(point.thing_id), b',"path":', dumps("/" + point.path),
                     b',"time":"', format_time(point.time).encode(), b'","value":', value.encode(),
                     b',"revision":', str(point.revision).encode(), b"}\n\n"))
