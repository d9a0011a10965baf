"""Basic logins on two workers on one PostgreSQL and one NATS JetStream: each worker serves a user's password hash
from memory, and the command line's `user passwd|remove|add`, which writes the table directly, counts on both
workers from the very next request, also after the connection each listens on was killed."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli.helpers import run
from tests.connectivity.waiting import eventually_blocking
from tests.integration.services import POSTGRES, psql
from tests.integration.test_scale_out import shared_backends_fixture
from twinhub.backends import LISTENER_NAME
from twinhub.testing import Server, start_server

pytestmark = pytest.mark.xdist_group(__name__)

__all__ = ["shared_backends_fixture"]  # a throwaway database and stream, as for test_scale_out


@pytest.fixture
def workers(shared_backends: dict[str, str], tmp_path: Path) -> Iterator[list[Server]]:
    user(shared_backends, tmp_path, "add", "alice", "first password")
    servers: list[Server] = []
    try:
        for n in range(2):  # real basic users: no --dev
            servers.append(start_server(tmp_path / f"worker-{n}", args=(), env=shared_backends))
        yield servers
    finally:
        for server in servers:
            server.stop()


def user(env: dict[str, str], where: Path, action: str, name: str, password: str | None = None) -> None:
    """`twinhub user <action> <name>` as an operator runs it beside the servers: its own process, its own
    connection to the database."""
    arguments = ("--password-stdin",) if password is not None else ()
    done = run("user", action, name, *arguments, "--data-dir", str(where / "cli"), env=env,
               stdin=None if password is None else password + "\n")
    assert done.status == 0, done.stderr


def status(server: Server, name: str, password: str) -> int:
    return httpx.get(f"{server.base_url}/api/2/whoami", auth=(name, password), timeout=30).status_code


def statuses(workers: list[Server], name: str, password: str) -> list[int]:
    return [status(server, name, password) for server in workers]


def listeners(env: dict[str, str]) -> int:
    database = env["TWINHUB_STORE_URL"].rsplit("/", 1)[1]
    return int(psql_value(f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{database}' "
                          f"AND application_name = '{LISTENER_NAME}'"))


def psql_value(sql: str) -> str:
    done = subprocess.run(["psql", "-h", POSTGRES[0], "-p", str(POSTGRES[1]), "-U", "postgres", "-d", "postgres",
                           "-v", "ON_ERROR_STOP=1", "-qAtc", sql], check=True, capture_output=True, text=True,
                          timeout=60)
    return done.stdout.strip()


def wait_for_listeners(env: dict[str, str], count: int) -> None:
    eventually_blocking(lambda: listeners(env) == count, f"{count} workers listening for credential changes")


def test_a_password_changed_or_a_user_removed_counts_on_every_worker_at_once(
        workers: list[Server], shared_backends: dict[str, str], tmp_path: Path) -> None:
    wait_for_listeners(shared_backends, 2)
    for _ in range(3):  # verified once per worker, then served from memory
        assert statuses(workers, "alice", "first password") == [200, 200]
    user(shared_backends, tmp_path, "passwd", "alice", "second password")
    assert statuses(workers, "alice", "first password") == [401, 401]
    assert statuses(workers, "alice", "second password") == [200, 200]
    user(shared_backends, tmp_path, "remove", "alice")
    assert statuses(workers, "alice", "second password") == [401, 401]
    user(shared_backends, tmp_path, "add", "alice", "third password")  # absent no longer
    assert statuses(workers, "alice", "third password") == [200, 200]


def test_no_stale_login_after_the_listening_connections_were_killed(
        workers: list[Server], shared_backends: dict[str, str], tmp_path: Path) -> None:
    wait_for_listeners(shared_backends, 2)
    assert statuses(workers, "alice", "first password") == [200, 200]
    database = shared_backends["TWINHUB_STORE_URL"].rsplit("/", 1)[1]
    psql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}' "
         f"AND application_name = '{LISTENER_NAME}'")
    # Changed while the workers may not listen (yet, or again): neither may accept the old password.
    user(shared_backends, tmp_path, "passwd", "alice", "second password")
    assert statuses(workers, "alice", "first password") == [401, 401]
    assert statuses(workers, "alice", "second password") == [200, 200]
    wait_for_listeners(shared_backends, 2)  # listening again: the next change is heard as before
    assert statuses(workers, "alice", "second password") == [200, 200]
    user(shared_backends, tmp_path, "passwd", "alice", "third password")
    assert statuses(workers, "alice", "second password") == [401, 401]
    assert statuses(workers, "alice", "third password") == [200, 200]
