"""`twinhub device add|remove|list` as a real process on a data dir."""

from __future__ import annotations

import re
from pathlib import Path

import anyio
from argon2 import PasswordHasher

from tests.cli.helpers import run
from tests.contract.conftest import postgres_dsn, postgres_server
from twinhub.store.sqlite.devices import SqliteDeviceStore

__all__ = ["postgres_dsn", "postgres_server"]  # the contract suite's throwaway database, as fixtures here


def added_password(stdout: str) -> str:
    match = re.search(r"^  password: (\S+)$", stdout, re.MULTILINE)
    assert match is not None, stdout
    return match[1]


def test_device_add_prints_credentials_once_and_stores_only_the_hash(tmp_path: Path) -> None:
    result = run("device", "add", "org.example:sensor-1", "--data-dir", str(tmp_path))
    assert result.status == 0, result.stderr
    assert "username: org.example:sensor-1" in result.stdout
    assert "device:org.example:sensor-1" in result.stdout
    password = added_password(result.stdout)
    assert len(password) >= 40
    stored = anyio.run(SqliteDeviceStore(tmp_path / "things.db").get_password_hash, "org.example:sensor-1")
    assert stored is not None and password not in stored
    assert PasswordHasher().verify(stored, password)


def test_device_add_twice_keeps_the_first_credentials(tmp_path: Path) -> None:
    first = run("device", "add", "org.example:sensor-1", "--data-dir", str(tmp_path))
    again = run("device", "add", "org.example:sensor-1", "--data-dir", str(tmp_path))
    assert again.status == 1
    assert "exists already" in again.error_line()
    assert "password" not in again.stdout
    stored = anyio.run(SqliteDeviceStore(tmp_path / "things.db").get_password_hash, "org.example:sensor-1")
    assert stored is not None and PasswordHasher().verify(stored, added_password(first.stdout))


def test_device_list_and_remove(tmp_path: Path) -> None:
    assert run("device", "list", "--data-dir", str(tmp_path / "none")).stdout == ""
    assert not (tmp_path / "none").exists()  # listing creates nothing
    for device_id in ("org.example:b", "org.example:a"):
        assert run("device", "add", device_id, "--data-dir", str(tmp_path)).status == 0
    assert run("device", "list", "--data-dir", str(tmp_path)).stdout.splitlines() == ["org.example:a", "org.example:b"]
    removed = run("device", "remove", "org.example:a", "--data-dir", str(tmp_path))
    assert removed.status == 0 and "removed" in removed.stdout
    missing = run("device", "remove", "org.example:a", "--data-dir", str(tmp_path))
    assert missing.status == 1 and "no device" in missing.error_line()
    assert run("device", "list", "--data-dir", str(tmp_path)).stdout.splitlines() == ["org.example:b"]


def test_an_invalid_device_id_is_one_line(tmp_path: Path) -> None:
    for invalid in ("plain", "org.example:with/slash", ""):
        result = run("device", "add", invalid, "--data-dir", str(tmp_path))
        assert result.status == 1
        assert "invalid device id" in result.error_line()


def test_devices_live_in_postgresql_with_store_url(postgres_dsn: str, tmp_path: Path) -> None:
    env = {"TWINHUB_STORE_URL": postgres_dsn}
    added = run("device", "add", "org.example:pg-1", "--data-dir", str(tmp_path), env=env)
    assert added.status == 0, added.stderr
    assert run("device", "list", env=env).stdout.splitlines() == ["org.example:pg-1"]
    assert not (tmp_path / "things.db").exists()
    assert run("device", "remove", "org.example:pg-1", env=env).status == 0
    assert run("device", "list", env=env).stdout == ""
