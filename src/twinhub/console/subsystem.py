"""The console as a subsystem of the application: its routes, and nothing to start (it is static files)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence

from starlette.routing import BaseRoute

from twinhub.console import routes
from twinhub.service.platform import Platform

__all__ = ["Console"]


class Console:
    """Serves the built console; it reaches the platform only through the public API, as any client."""

    routes: Sequence[BaseRoute] = tuple(routes.routes)

    @contextlib.asynccontextmanager
    async def lifespan(self, platform: Platform) -> AsyncIterator[Mapping[str, object]]:
        yield {}
