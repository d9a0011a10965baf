"""`twinhub serve` as a real process: one server per data dir and per port, startup failures in one line
(exit status 2), the banner only once the port listens, and what it says at start and at shutdown."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest

from tests.api.test_authentication import add_user
from tests.cli.helpers import TWINHUB, run
from twinhub.testing import Server, free_port, running_server, start_server

NO_USER_WARNING = "No user exists yet"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with running_server(tmp_path / "data") as server:
        yield server


def _port(server: Server) -> str:
    return server.base_url.rsplit(":", 1)[1]


# --- one server per data dir and per port -------------------------------------------------------------


def test_a_second_server_on_the_same_data_dir_exits_naming_the_first(server: Server) -> None:
    second = run("serve", "--dev", "--port", str(free_port()), "--data-dir", str(server.data_dir))
    assert second.status == 2
    assert second.error_line() == f"twinhub: data dir {server.data_dir.resolve()} in use by pid {server.process.pid}"
    assert "serving" not in second.stdout
    assert httpx.get(f"{server.base_url}/health").status_code == 200


def test_a_second_server_on_the_same_port_exits(server: Server, tmp_path: Path) -> None:
    second = run("serve", "--dev", "--port", _port(server), "--data-dir", str(tmp_path / "other"))
    assert second.status == 2
    assert second.error_line() == f"twinhub: port {_port(server)} on 127.0.0.1 is in use by another process"
    assert "serving" not in second.stdout  # the banner comes only once the port listens


def test_a_port_another_program_shares_with_so_reuseport_is_refused(tmp_path: Path) -> None:
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        result = run("serve", "--dev", "--port", str(port), "--data-dir", str(tmp_path / "data"))
    assert result.status == 2
    assert result.error_line() == f"twinhub: port {port} on 127.0.0.1 is in use by another process"


def test_the_data_dir_of_a_killed_server_can_be_served_again(tmp_path: Path) -> None:
    first = start_server(tmp_path / "data")
    with httpx.Client(base_url=first.base_url + "/api/2", auth=("ditto", "x")) as client:
        assert client.put("/things/org.twinhub.test:kept", json={"attributes": {"a": 1}}).status_code == 201
    first.kill()  # the OS drops the lock with the process; the lock file and its pid stay behind
    with running_server(tmp_path / "data") as second, httpx.Client(base_url=second.base_url + "/api/2",
                                                                   auth=("ditto", "x")) as client:
        assert client.get("/things/org.twinhub.test:kept/attributes").json() == {"a": 1}


def test_the_banner_names_the_port_that_listens(tmp_path: Path) -> None:
    command = [*TWINHUB, "serve", "--dev", "--port", "0", "--data-dir", str(tmp_path / "data")]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                          start_new_session=True) as process:
        try:
            assert process.stdout is not None
            banner = process.stdout.readline()
            assert banner.startswith("twinhub: serving the Ditto API v2 on http://127.0.0.1:"), banner
            base_url = banner.split(" on ", 1)[1].split("/api/2", 1)[0]
            assert not base_url.endswith(":0")
            # Listening already: the connection waits in the backlog until the worker has started.
            assert httpx.get(f"{base_url}/health", timeout=60).status_code == 200
        finally:
            os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=30)


# --- startup failures in one line ---------------------------------------------------------------------


def test_a_data_dir_that_cannot_be_created_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = run("serve", "--dev", "--port", str(free_port()), "--data-dir", str(blocker / "data"))
    assert result.status == 2
    assert result.error_line().startswith(f"twinhub: cannot create the data dir {blocker / 'data'}: ")


@pytest.fixture
def unwritable_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory nobody may create files in: read-only for a user, immutable (chattr +i) for root."""
    path = tmp_path / "read-only"
    path.mkdir()
    if os.geteuid() != 0:
        path.chmod(0o555)
        yield path
        path.chmod(0o755)
        return
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)]).returncode != 0:
        pytest.skip("running as root, and this file system cannot make a directory immutable (chattr +i)")
    try:
        yield path
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_an_unwritable_data_dir_is_one_line(unwritable_dir: Path) -> None:
    result = run("serve", "--dev", "--port", str(free_port()), "--data-dir", str(unwritable_dir))
    assert result.status == 2
    assert result.error_line().startswith(f"twinhub: the data dir {unwritable_dir} is not writable: ")


@pytest.mark.parametrize(("args", "env"), [(("--port", "70000"), {}), (("--port", "-1"), {}),
                                           ((), {"TWINHUB_PORT": "65536"})])
def test_a_port_out_of_range_is_one_line(tmp_path: Path, args: tuple[str, ...], env: dict[str, str]) -> None:
    result = run("serve", "--dev", "--data-dir", str(tmp_path / "data"), *args, env=env)
    assert result.status == 2
    assert "is not a port number (0 to 65535" in result.error_line()


def test_an_address_that_cannot_be_bound_is_one_line(tmp_path: Path) -> None:
    # 192.0.2.1 (TEST-NET-1, RFC 5737) is no address of this machine.
    result = run("serve", "--dev", "--host", "192.0.2.1", "--port", str(free_port()),
                 "--data-dir", str(tmp_path / "data"))
    assert result.status == 2
    assert result.error_line().startswith("twinhub: cannot listen on 192.0.2.1:")


# --- what it says -------------------------------------------------------------------------------------


def test_version() -> None:
    result = run("--version")
    assert (result.status, result.stdout.strip()) == (0, f"twinhub {version('twinhub')}")


def test_help_shows_the_defaults() -> None:
    result = run("serve", "--help")
    assert result.status == 0
    for default in ("default 127.0.0.1", "default 8080", "default twinhub-data", "default 1", "default none",
                    "default off"):
        assert default in result.stdout, result.stdout
    assert "default twinhub-data" in run("user", "add", "--help").stdout


def test_a_server_without_users_says_how_to_add_one(tmp_path: Path) -> None:
    with running_server(tmp_path / "data", args=()) as server:
        assert NO_USER_WARNING in server.log()
        assert "twinhub user add <name>" in server.log()


def test_a_server_with_a_user_or_in_dev_mode_does_not_warn_about_users(tmp_path: Path) -> None:
    add_user(tmp_path / "data", "alice", "a password")
    with running_server(tmp_path / "data", args=()) as server:
        assert "Started worker-1" in server.log()
        assert NO_USER_WARNING not in server.log()
    with running_server(tmp_path / "dev") as server:
        assert NO_USER_WARNING not in server.log()


def test_shutdown_says_when_it_waits_for_open_streams(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", env={"TWINHUB_SHUTDOWN_TIMEOUT": "1"})
    try:
        with httpx.stream("GET", f"{server.base_url}/api/2/things", headers={"Accept": "text/event-stream"},
                          auth=("ditto", "x"), timeout=60) as stream:
            assert stream.status_code == 200
            server.process.send_signal(signal.SIGINT)
            assert server.process.wait(timeout=60) == 0
    finally:
        server.stop()
    assert "twinhub: stopping: waiting up to 1 s for open requests and streams (SSE, WebSocket)" in server.log()
