"""History as one subsystem of the application (`twinhub.app`): the history API (`twinhub.history.routes`,
`twinhub.history.grafana_routes`) on the platform's store, things and search.

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
from twinhub.history.service import HistoryService, cursor_key_of
from twinhub.service.platform import Platform

__all__ = ["History"]


class History:
    routes: Sequence[BaseRoute] = tuple(routes.routes)

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @contextlib.asynccontextmanager
    async def lifespan(self, platform: Platform) -> AsyncIterator[Mapping[str, object]]:
        key = cursor_key_of(self.settings.history_cursor_key, await platform.store.epoch())
        service = HistoryService(platform.store, platform.things, platform.search, cursor_key=key)
        yield {STATE_KEY: HistoryContext(platform.authenticator, service)}
