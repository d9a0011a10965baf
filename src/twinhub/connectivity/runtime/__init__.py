"""The connection runtime: connections at work on a worker (see `boot` for how it starts and follows changes).

    boot.py        open_runtime(platform, settings): every stored connection, followed on the bus; the operator
    manager.py     ConnectionManager: one ConnectionRuntime per open connection, changed in order
    connection.py  ConnectionRuntime: a client kept connected (backoff), its sources and targets, /status
    inbound.py     SourceConsumer: deliveries -> mappers -> session; settled once answered; replyTarget
    outbound.py    TargetPublisher: the session's streams -> mappers -> address, headers -> publish
    monitor.py     ConnectionMonitor: Ditto's /metrics and /logs of a connection
    operator.py    RuntimeOperator: the ConnectionOperator the /api/2/connections routes call, for all workers
    aggregate.py   status, metrics and logs of the workers merged into one, as Ditto aggregates clients
    worker.py      the worker's stable client ids (a slot per worker of a host)
"""

from twinhub.connectivity.runtime.boot import mapper_registry, open_runtime
from twinhub.connectivity.runtime.connection import ConnectionRuntime, RuntimeContext
from twinhub.connectivity.runtime.manager import ConnectionManager
from twinhub.connectivity.runtime.monitor import ConnectionMonitor
from twinhub.connectivity.runtime.operator import RuntimeOperator

__all__ = ["ConnectionManager", "ConnectionMonitor", "ConnectionRuntime", "RuntimeContext", "RuntimeOperator",
           "mapper_registry", "open_runtime"]
