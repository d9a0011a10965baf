"""Connectivity as one subsystem of the application (`twinhub.app`): the connections API and, while it runs,
the connection service on the platform's store and bus; and the devices API (`devices`) on the platform's devices,
the identities of the MQTT device endpoint.

The running of connections is the operator's (`ConnectionOperator`): `Connectivity` takes a factory that
opens one on the platform (`twinhub.app` passes the connection runtime's `open_runtime`: start every stored
connection, follow the bus, stop them all when the application stops).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager

from starlette.routing import BaseRoute

from twinhub.config import Settings
from twinhub.connectivity import devices, routes
from twinhub.connectivity.operator import ConnectionOperator
from twinhub.connectivity.routes import STATE_KEY, ConnectivityContext
from twinhub.connectivity.service import ConnectionService
from twinhub.service.devices import DeviceService
from twinhub.service.platform import Platform

__all__ = ["Connectivity", "OperatorFactory"]

OperatorFactory = Callable[[Platform], AbstractAsyncContextManager[ConnectionOperator]]
"""Opens the connection runtime on the platform; it runs until the context ends."""


class Connectivity:
    routes: Sequence[BaseRoute] = (*routes.routes, *devices.routes)

    def __init__(self, settings: Settings, operator: OperatorFactory) -> None:
        self.settings = settings
        self._operator = operator

    @contextlib.asynccontextmanager
    async def lifespan(self, platform: Platform) -> AsyncIterator[Mapping[str, object]]:
        async with self._operator(platform) as operator:
            service = ConnectionService(platform.store, platform.bus, operator)
            yield {STATE_KEY: ConnectivityContext(self.settings, platform.authenticator, service),
                   devices.STATE_KEY: devices.DevicesContext(self.settings, platform.authenticator,
                                                             DeviceService(platform.devices))}
