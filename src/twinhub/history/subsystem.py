"""History as one subsystem of the application (`twinhub.app`): the history API (`twinhub.history.routes`,
`twinhub.history.grafana_routes`, live streams from `twinhub.history.live`) on the platform's store, things,
search and event hub; and, when `history_influxdb_url` is set, the InfluxDB sink (`twinhub.history.sink`) fed
with the points this worker commits.

Cursors of raw pages are tagged with `history_cursor_key` (`TWINHUB_HISTORY_CURSOR_KEY`); without one, with a
key derived from the store's epoch, which every worker of that store shares.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence

from starlette.routing import BaseRoute

from twinhub.config import Settings
from twinhub.history import routes
from twinhub.history.context import STATE_KEY, HistoryContext
from twinhub.history.service import HistoryService, PointFeeds, cursor_key_of
from twinhub.history.sink import open_influx_sink
from twinhub.service.platform import Platform

__all__ = ["History"]


class History:
    routes: Sequence[BaseRoute] = tuple(routes.routes)

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @contextlib.asynccontextmanager
    async def lifespan(self, platform: Platform) -> AsyncIterator[Mapping[str, object]]:
        settings = self.settings
        key = cursor_key_of(settings.history_cursor_key, await platform.store.epoch())
        service = HistoryService(platform.store, platform.things, platform.search, cursor_key=key)
        feeds = PointFeeds(service, platform.events, settings.session_buffer_bytes, platform.budget)
        async with open_influx_sink(settings.history_influxdb_url, follow=platform.things.follow_points,
                                    token=settings.history_influxdb_token):
            yield {STATE_KEY: HistoryContext(platform.authenticator, service, feeds)}
