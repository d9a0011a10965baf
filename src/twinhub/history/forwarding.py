"""Forwarding of committed points to an external time-series database, as a subsystem of the application
(`twinhub.app`): while it runs, the InfluxDB sink of the settings (`twinhub.history.sink`) gets the points of
every write this worker commits. No routes."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Final

from starlette.routing import BaseRoute

from twinhub.config import Settings
from twinhub.history.sink import open_influx_sink
from twinhub.service.platform import Platform

__all__ = ["SINK_STATE_KEY", "HistoryForwarding"]

SINK_STATE_KEY: Final = "twinhub.history.sink"


class HistoryForwarding:
    """The sink's part of the application: it opens the sink on the platform's thing service."""

    routes: tuple[BaseRoute, ...] = ()

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @contextlib.asynccontextmanager
    async def lifespan(self, platform: Platform) -> AsyncIterator[Mapping[str, object]]:
        async with open_influx_sink(self.settings.history_influxdb_url, follow=platform.things.follow_points,
                                    token=self.settings.history_influxdb_token) as sink:
            yield {SINK_STATE_KEY: sink} if sink is not None else {}
