"""`twinhub simulate` against the embedded device endpoint of a real server (`twinhub serve --mqtt-port 0`),
logged in as a basic user: every acknowledged reading is in the twins, and faulty ones are refused, not lost."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from twinhub.auth import hash_password
from twinhub.cli import main
from twinhub.store.sqlite.users import SqliteUserStore
from twinhub.testing import Server, running_server

pytestmark = pytest.mark.xdist_group(__name__)

USER = ("fleet", "fleet-password")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir: Path = tmp_path_factory.mktemp("simulate") / "data"
    data_dir.mkdir()
    hasher = PasswordHasher.from_parameters(CHEAPEST)  # the server verifies any argon2 hash by its parameters
    SqliteUserStore(data_dir / "things.db").set_user_sync(USER[0], hash_password(USER[1], hasher=hasher))
    with running_server(data_dir, args=("--mqtt-port", "0")) as running:
        yield running


def things(server: Server, namespace: str, devices: int) -> list[dict[str, Any]]:
    """The simulated devices' things, with their revisions."""
    ids = ",".join(f"{namespace}:device-{index}" for index in range(devices))
    response = httpx.get(f"{server.base_url}/api/2/things", auth=USER, timeout=30,
                         params={"ids": ids, "fields": "thingId,_revision,features"})
    response.raise_for_status()
    found: list[dict[str, Any]] = response.json()
    return found


def test_every_acknowledged_reading_lands_in_the_twins(server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    namespace = "org.sim.ok"
    status = main(["simulate", "--broker", f"mqtt://{USER[0]}:{USER[1]}@127.0.0.1:{server.mqtt_port}",
                   "--devices", "3", "--count", "30", "--rate", "1000", "--namespace", namespace, "--seed", "3",
                   "--quiet"])
    stderr = capsys.readouterr().err
    assert status == 0, stderr
    assert "sent 30  acked 30" in stderr
    found = things(server, namespace, 3)
    assert len(found) == 3
    # Each reading is one merge: the first creates the thing (revision 1), each next one adds a revision.
    assert sum(thing["_revision"] for thing in found) == 30
    for thing in found:
        assert set(thing["features"]) == {"temperature", "humidity", "battery", "counter"}
        assert isinstance(thing["features"]["counter"]["properties"]["value"], int)


def test_malformed_readings_are_acknowledged_and_refused_the_good_ones_land(
        server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    namespace = "org.sim.faults"
    status = main(["simulate", "--broker", f"mqtt://{USER[0]}:{USER[1]}@127.0.0.1:{server.mqtt_port}",
                   "--devices", "2", "--count", "40", "--rate", "1000", "--namespace", namespace, "--seed", "9",
                   "--malformed", "0.3", "--quiet"])
    stderr = capsys.readouterr().err
    assert status == 0, stderr  # MQTT 3.1.1 has no refusal: a refused message is acknowledged and dropped
    summary = stderr.split("done: ", 1)[1].split()
    malformed = int(summary[summary.index("malformed") + 1])
    assert 0 < malformed < 40
    assert sum(thing["_revision"] for thing in things(server, namespace, 2)) == 40 - malformed
