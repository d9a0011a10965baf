"""Live history: `GET /api/2/history/things/{thingId}/{path}` (or `?paths=a,b`) with `Accept: text/event-stream`
streams each new point of those paths as its write commits, one `data:` line per point:

    data:{"thingId":"org.example:sensor","path":"/features/temp/properties/value",
          "time":"2026-01-01T12:00:00.5Z","value":21.5,"revision":7}

`value` is null for a deletion marker (the leaf was removed). Points come from the committed events on the bus
(each carries the points its commit recorded), through the event hub as thing events do: the same READ rules
(a point is sent only when its path is readable under the thing's policy of that moment, so a policy change
takes effect from the next point on), the same keep-alives, and the same cut-off of a stream that falls too far
behind. Refused before the stream starts, as a GET: 404 when the caller may not READ the thing or a path.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from twinhub.api import sse
from twinhub.history.context import Streams
from twinhub.history.series import format_time, scalar_json
from twinhub.model.json import dumps
from twinhub.model.pointer import parse_pointer
from twinhub.model.points import Point
from twinhub.service.event_views import Delivery, EventFilter

__all__ = ["render_point", "stream_history"]


async def stream_history(request: Request, streams: Streams, subjects: tuple[str, ...], thing_id: str,
                         paths: tuple[str, ...]) -> Response:
    """The live point stream of `paths` (normalised JSON pointers, as `twinhub.history.parse_paths` gives
    them) of one thing. Raises Ditto's 404s when `subjects` may not READ the thing or one of the paths."""
    for path in paths:
        await streams.events.authorize(subjects, thing_id, parse_pointer(path))
    watched = EventFilter(thing_ids=frozenset({thing_id}), points=frozenset(path[1:] for path in paths))
    watch = streams.events.watch(subjects, watched, capacity=sse.WATCH_CAPACITY,
                                 max_bytes=streams.session_buffer_bytes, budget=streams.budget)
    return sse.event_stream(sse.live_chunks(watch, _render_points), request)


def _render_points(delivery: Delivery) -> bytes | None:
    return b"".join(render_point(point) for point in delivery.points) or None


def render_point(point: Point) -> bytes:
    """One point as one `data:` event (integers of any size kept exact)."""
    value = "null" if point.value is None else scalar_json(point.value)
    return b"".join((b'data:{"thingId":', dumps(point.thing_id), b',"path":', dumps("/" + point.path),
                     b',"time":"', format_time(point.time).encode(), b'","value":', value.encode(),
                     b',"revision":', str(point.revision).encode(), b"}\n\n"))
