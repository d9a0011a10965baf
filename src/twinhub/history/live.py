"""Live history: `GET /api/2/history/things/{thingId}/{path}` (or `?paths=a,b`) with `Accept: text/event-stream`
streams each new point of those paths as its write commits, one `data:` line per point (with `from=`, the stored
points from then on come first; with `from=` and `to=`, only those, then the stream ends):

    data:{"thingId":"org.example:sensor","path":"/features/temp/properties/value",
          "time":"2026-01-01T12:00:00.500000Z","value":21.5,"revision":7}

`value` is null for a deletion marker (the leaf was removed). The points are those of a point feed
(`twinhub.history.service`: authorized as GETs before the stream starts, READ-checked per point under the policy of
that moment, stored then live with none twice or missed); this module only renders it, with the keep-alives and
the cut-off notice of the other streams.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from twinhub.api import sse
from twinhub.history.series import format_time, scalar_json
from twinhub.history.service import PointFeed
from twinhub.model.json import dumps
from twinhub.model.points import Point
from twinhub.service.event_views import Delivery

__all__ = ["render_point", "stream_feed"]


def stream_feed(request: Request, feed: PointFeed) -> Response:
    """`feed` as server-sent events, one `data:` line per point; the feed's watch closes when the stream ends
    (also when the client leaves during the replay)."""
    return sse.event_stream(_chunks(feed), request)


async def _chunks(feed: PointFeed) -> AsyncIterator[bytes]:
    def render(delivery: Delivery) -> bytes | None:
        return None if feed.replayed(delivery) else delivery.rendered(_POINTS, lambda: _render_points(delivery))

    try:
        if feed.stored is not None:
            yield sse.KEEP_ALIVE  # at once, so that the client (and any proxy) sees the stream open
            async for point in feed.stored:
                yield render_point(point)
        if feed.watch is not None:
            async for chunk in sse.live_chunks(feed.watch, render):
                yield chunk
    finally:
        if feed.watch is not None:
            feed.watch.close()


_POINTS: Final = ("sse-points",)


def _render_points(delivery: Delivery) -> bytes:
    return b"".join(render_point(point) for point in delivery.points)


def render_point(point: Point) -> bytes:
    """One point as one `data:` event (integers of any size kept exact)."""
    value = "null" if point.value is None else scalar_json(point.value)
    return b"".join((b'data:{"thingId":', dumps(point.thing_id), b',"path":', dumps("/" + point.path),
                     b',"time":"', format_time(point.time).encode(), b'","value":', value.encode(),
                     b',"revision":', str(point.revision).encode(), b"}\n\n"))
