"""`twinhub serve --mqtt-port`: the device endpoint's port is claimed before the server starts, so every
failure is one line (exit status 2), and the endpoint belongs to the single-worker server."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.cli.helpers import run
from tests.connectivity.device_mqtt import Device
from twinhub.testing import free_port, running_server


def test_a_taken_mqtt_port_is_one_line_and_nothing_starts(tmp_path: Path) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        result = run("serve", "--dev", "--port", "0", "--mqtt-port", str(port), "--data-dir", str(tmp_path / "d"))
    assert result.status == 2
    assert result.error_line() == (f"twinhub: the MQTT device endpoint: port {port} on 127.0.0.1 is in use by "
                                   "another process")
    assert "serving" not in result.stdout


def test_the_mqtt_port_of_another_twinhub_is_taken_too(tmp_path: Path) -> None:
    with running_server(tmp_path / "first", args=("--dev", "--mqtt-port", "0")) as first:
        taken = str(first.mqtt_port)
        result = run("serve", "--dev", "--port", "0", "--mqtt-port", taken, "--data-dir", str(tmp_path / "second"))
        assert result.status == 2
        assert "the MQTT device endpoint: port" in result.error_line()
        device = Device(first.mqtt_port, "org.example:still-served")  # dev mode: any device, no password
        assert device.wait_connected() == 0
        device.close()


def test_several_workers_refuse_the_endpoint(tmp_path: Path) -> None:
    result = run("serve", "--port", "0", "--mqtt-port", "0", "--workers", "2", "--data-dir", str(tmp_path / "d"),
                 env={"TWINHUB_STORE_URL": "postgresql://nowhere/x", "TWINHUB_BUS_URL": "nats://nowhere:4222"})
    assert result.status == 2
    assert result.error_line().startswith("twinhub: the MQTT device endpoint (--mqtt-port) runs in a single worker")


@pytest.mark.parametrize(("args", "env"), [(("--mqtt-port", "70000"), {}), ((), {"TWINHUB_MQTT_PORT": "x"}),
                                           ((), {"TWINHUB_MQTT_PORT": "-1"})])
def test_an_invalid_mqtt_port_is_one_line(tmp_path: Path, args: tuple[str, ...], env: dict[str, str]) -> None:
    result = run("serve", "--dev", "--port", str(free_port()), "--data-dir", str(tmp_path / "d"), *args, env=env)
    assert result.status == 2
    assert "setting 'mqtt_port'" in result.error_line()


def test_an_unknown_telemetry_layout_is_one_line(tmp_path: Path) -> None:
    result = run("serve", "--dev", "--port", str(free_port()), "--mqtt-port", "0", "--data-dir", str(tmp_path / "d"),
                 env={"TWINHUB_MQTT_TELEMETRY": "sideways"})
    assert result.status == 2
    assert "setting 'mqtt_telemetry': 'sideways' is not one of features, attributes, merge" in result.error_line()


def test_without_mqtt_port_there_is_no_endpoint(tmp_path: Path) -> None:
    with running_server(tmp_path / "data", env={"TWINHUB_MQTT_PORT": ""}) as server:
        assert "MQTT" not in server.log()
