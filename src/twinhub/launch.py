"""What `twinhub serve` does around the HTTP server: claim the data dir, bind the port, run granian's worker
processes on that socket, and say what happens, each failure in one line (`StartupError`, exit status 2).

* The data dir is claimed with an OS lock (`flock`) on `<data_dir>/twinhub.lock`, which holds the owner's
  pid. The lock lives as long as the server's main process (also through `kill -9`: the OS drops it), so a
  second server on the same embedded store refuses to start instead of serving stale reads beside it.
* The port is bound here, without SO_REUSEPORT, and the listening socket is handed to the workers. Granian
  on Linux would bind in each worker with SO_REUSEPORT, which lets a second server bind the same port
  silently and share its connections; it has no public option against that. Its main process owns the
  socket on other platforms, so `_Server` takes that path everywhere: binding once closes the race a
  check before granian's own bind would leave open.
* A worker told to stop (SIGINT, SIGTERM: from the main process, or a terminal's Ctrl-C) first awaits the
  application's `state.farewell()`, then stops as granian does. Granian itself ends its WebSocket sessions'
  reads and drops them with no close frame; the farewell closes them with 1001 (going away) while they can
  still take one. It takes at most half the shutdown timeout; a second signal stops the worker at once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from multiprocessing.connection import wait
from pathlib import Path
from typing import IO, Any

import granian._signals
from granian._granian import SocketHolder, WorkerSignal
from granian.constants import Interfaces, Loops
from granian.server.mp import MPServer, WorkerProcess

from twinhub.config import Settings

__all__ = ["LOCK_FILE", "StartupError", "bind_listener", "lock_data_dir", "serve"]

LOCK_FILE = "twinhub.lock"
BACKLOG = 1024
# How long a stopping server waits for its workers before it says that open streams hold it up.
_STOP_NOTICE_SECONDS = 0.5


class StartupError(Exception):
    """Why the server cannot start, in one line."""


def lock_data_dir(data_dir: Path) -> IO[str]:
    """Create `data_dir` if needed, check it is writable and lock it for this process; the lock holds as long
    as the returned file stays open. Raises StartupError."""
    path = data_dir.resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StartupError(f"cannot create the data dir {path}: {exc.strerror or exc}") from exc
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".probe-"):
            pass  # the store creates files (WAL, journal) beside its database
        lock = (path / LOCK_FILE).open("a+", encoding="ascii")
    except OSError as exc:
        raise StartupError(f"the data dir {path} is not writable: {exc.strerror or exc}") from exc
    if sys.platform != "win32":
        import fcntl

        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            owner = lock.read().strip()
            lock.close()
            raise StartupError(f"data dir {path} in use by " + (f"pid {owner}" if owner.isdigit() else
                                                                  "another process")) from None
    lock.seek(0)
    lock.truncate()
    lock.write(f"{os.getpid()}\n")
    lock.flush()
    return lock


def bind_listener(host: str, port: int, *, backlog: int = BACKLOG) -> socket.socket:
    """A socket listening on host:port, bound without SO_REUSEPORT (so no other process shares the port).
    Raises StartupError."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise StartupError(f"cannot listen on {host}:{port}: {getattr(exc, 'strerror', None) or exc}") from exc
    listener = socket.socket(family, kind, proto)
    try:
        # SO_REUSEADDR only lets a restart bind past connections in TIME_WAIT; it never shares a listening port.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(backlog)
    except OSError as exc:
        listener.close()
        import errno

        if exc.errno == errno.EADDRINUSE:
            raise StartupError(f"port {port} on {host} is in use by another process") from exc
        raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    listener.set_inheritable(True)
    return listener


def serve(settings: Settings) -> int:
    """Claim the data dir (embedded store only), bind the port, announce, and serve until stopped."""
    with ExitStack() as stack:
        if not settings.store_url:
            stack.enter_context(lock_data_dir(Path(settings.data_dir)))
        listener = stack.enter_context(bind_listener(settings.host, settings.port))
        port: int = listener.getsockname()[1]
        mqtt_port = _claim_mqtt_port(settings)
        # The worker processes rebuild the same settings from the environment.
        os.environ.update({**settings.to_environ(), "TWINHUB_PORT": str(port),
                           "TWINHUB_MQTT_PORT": "" if mqtt_port is None else str(mqtt_port)})
        where = (f"data in {Path(settings.data_dir).resolve()}" if not settings.store_url
                 else "store on PostgreSQL")
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        print(f"twinhub: serving the Ditto API v2 on http://{host}:{port}/api/2 ({where}, {settings.workers} "
              f"worker{'s' if settings.workers > 1 else ''})", flush=True)
        if mqtt_port is not None:
            print(f"twinhub: the MQTT device endpoint (MQTT 3.1.1) listens on mqtt://{host}:{mqtt_port}", flush=True)
        server = _Server(
            "twinhub.app:app_from_env",
            listener,
            factory=True,
            address=settings.host,
            port=port,
            interface=Interfaces.ASGI,
            loop=Loops.uvloop if sys.platform != "win32" else Loops.asyncio,
            workers=settings.workers,
            workers_kill_timeout=settings.shutdown_timeout,
            backlog=BACKLOG,
            log_access=False,
        )
        server.serve()
    return 0


def _claim_mqtt_port(settings: Settings) -> int | None:
    """The device endpoint's port (None: off), checked free here so that a taken one is a one-line error; the
    worker binds it (amqtt runs there). Port 0 becomes the free port the kernel picks now."""
    if settings.mqtt_port is None:
        return None
    try:
        with bind_listener(settings.host, settings.mqtt_port) as probe:
            port: int = probe.getsockname()[1]
    except StartupError as exc:
        raise StartupError(f"the MQTT device endpoint: {exc}") from None
    return port


class _Server(MPServer):
    """Granian's process server on a socket bound beforehand; says when stopping waits for open streams."""

    def __init__(self, target: str, listener: socket.socket, **options: object) -> None:
        super().__init__(target, **options)  # type: ignore[arg-type]
        self._listener = listener

    def _init_shared_socket(self) -> None:
        # What granian does itself where the main process owns the socket: the workers get it (the socket
        # object is passed along too, so a `spawn` start passes its descriptor on) and accept on it.
        # (granian's own annotations of these private attributes and of SocketHolder are incomplete)
        self._ssp = None
        self._sfd = self._listener.fileno()  # type: ignore[assignment]
        self._shd = SocketHolder(self._listener.fileno(), False, self.backlog)  # type: ignore[call-arg,assignment]
        self._sso = self._listener

    def _stop_workers(self) -> None:
        for worker in self.wrks:
            worker.terminate()  # type: ignore[no-untyped-call]
        # A worker's sentinel is ready once it has ended (`is_alive` can lag: granian reaps in another thread).
        pending = {worker.inner.sentinel for worker in self.wrks}
        deadline = time.monotonic() + _STOP_NOTICE_SECONDS
        while pending and (remaining := deadline - time.monotonic()) > 0:
            pending.difference_update(wait(list(pending), remaining))
        if pending:
            print(f"twinhub: stopping: waiting up to {self.workers_kill_timeout} s for open requests and streams "
                  "(SSE, WebSocket) to end, then closing them", flush=True)
        super()._stop_workers()  # type: ignore[no-untyped-call]

    @staticmethod
    @WorkerProcess.wrap_target  # type: ignore[untyped-decorator]
    def _spawn_asgi_lifespan_worker(worker_id: int, callback: Any, *args: Any) -> None:
        # In the worker process: granian's worker, whose stop signals run the application's farewell first.
        farewell = getattr(getattr(callback, "state", None), "farewell", None)
        if farewell is not None:
            granian._signals.set_loop_signals = _signals_after(farewell, granian._signals.set_loop_signals)
        MPServer._spawn_asgi_lifespan_worker.__wrapped__(worker_id, callback, *args)


def _signals_after(farewell: Callable[[], Awaitable[None]],
                   set_loop_signals: Callable[[asyncio.AbstractEventLoop], WorkerSignal],
                   ) -> Callable[[asyncio.AbstractEventLoop], WorkerSignal]:
    """granian's `set_loop_signals`, whose worker signal (what stops the worker) is set once `farewell()`
    has run after a stop signal, or at once on a second one."""

    def set_signals(loop: asyncio.AbstractEventLoop) -> WorkerSignal:
        stop = set_loop_signals(loop)
        parting: list[asyncio.Task[None]] = []

        def on_signal() -> None:
            if parting:
                stop.set()
            else:
                parting.append(loop.create_task(_part(farewell, stop)))

        try:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, on_signal)
        except NotImplementedError:  # no loop signal handlers (Windows): granian's own stay
            pass
        return stop

    return set_signals


async def _part(farewell: Callable[[], Awaitable[None]], stop: WorkerSignal) -> None:
    try:
        await farewell()
    finally:
        stop.set()
