"""The platform: what every subsystem of the application (the HTTP API now; connectivity, history and the
console next) is built on. One per worker, opened by the composition root (`twinhub.app`) on the store and
buses of the settings, and closed after every subsystem has stopped."""

from __future__ import annotations

from dataclasses import dataclass, field

from twinhub.auth import Authenticator
from twinhub.bus.base import EventBus
from twinhub.bus.polls import InProcessPolls, WorkerPolls
from twinhub.service.buffers import Budget
from twinhub.service.live import LiveHub
from twinhub.service.migration import DefinitionMigration
from twinhub.service.permissions import PermissionService
from twinhub.service.policies import PolicyService
from twinhub.service.search import SearchService
from twinhub.service.session.party import SessionServices
from twinhub.service.streaming import EventHub
from twinhub.service.things import ThingService
from twinhub.store.base import Store
from twinhub.store.devices import DeviceStore
from twinhub.wot.service import WotService

__all__ = ["Platform"]


@dataclass(frozen=True, slots=True)
class Platform:
    authenticator: Authenticator  # requests -> subjects
    things: ThingService
    policies: PolicyService
    search: SearchService
    permissions: PermissionService  # checkPermissions
    events: EventHub  # committed thing events, for sessions and streams
    live: LiveHub  # live messages, live commands and acknowledgements, across workers
    budget: Budget  # the bytes all sessions and streams of this worker may hold for clients that fall behind
    # The engines themselves, for subsystems that keep entities of their own beside things and policies
    # (connectivity: connections in the store, their events on the bus).
    store: Store
    bus: EventBus
    wot: WotService  # Thing Models: skeletons, Thing Descriptions
    devices: DeviceStore  # the identities of the MQTT endpoint's devices, managed by connectivity's devices API
    # Questions asked of every worker of the deployment (connectivity: each worker's clients of a connection).
    polls: WorkerPolls = field(default_factory=InProcessPolls)
    # Moving things to another WoT Thing Model (`migrateDefinition`); None without a Thing Model resolver.
    migration: DefinitionMigration | None = None

    def session_services(self) -> SessionServices:
        """What a Ditto Protocol session serves from: one set for the WebSocket, connections and devices."""
        return SessionServices(self.things, self.policies, self.search, self.events, self.live, self.permissions,
                               self.migration)
