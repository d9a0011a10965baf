"""The device endpoint overrides two methods of amqtt that are not plugin API (see
twinhub/connectivity/device/broker.py for why): this fails when an amqtt upgrade changes them, so the
override is looked at again before the pin moves."""

from __future__ import annotations

import inspect
from importlib.metadata import version

from amqtt.broker import Broker
from amqtt.mqtt.protocol.broker_handler import BrokerProtocolHandler
from amqtt.mqtt.protocol.handler import ProtocolHandler

from twinhub.connectivity.device.broker import AMQTT_VERSION, DeviceBroker, DeviceHandler


def parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_the_installed_amqtt_is_the_one_the_overrides_were_written_for() -> None:
    assert version("amqtt") == AMQTT_VERSION


def test_amqtt_still_hands_each_publish_packet_to_handle_publish() -> None:
    assert parameters(ProtocolHandler.handle_publish) == ["self", "publish_packet"]
    assert "self.handle_publish(packet)" in inspect.getsource(ProtocolHandler._reader_loop)
    assert "BrokerProtocolHandler" not in inspect.getsource(ProtocolHandler)  # no other handler is made there
    assert parameters(DeviceHandler.handle_publish) == parameters(ProtocolHandler.handle_publish)


def test_amqtt_still_passes_the_unattached_handler_to_handle_client_session() -> None:
    assert parameters(Broker._handle_client_session) == [
        "self", "reader", "writer", "client_session", "handler", "server", "listener_name"]
    assert parameters(DeviceBroker._handle_client_session) == parameters(Broker._handle_client_session)
    source = inspect.getsource(Broker._initialize_client_session)
    assert "BrokerProtocolHandler.init_from_connect" in source
    assert "handler.attach(" in inspect.getsource(Broker._handle_client_session)
    assert "handler.attach(" not in source  # still unattached when `_handle_client_session` gets it
    assert issubclass(DeviceHandler, BrokerProtocolHandler)


def test_amqtt_still_authenticates_with_the_session_and_its_listener() -> None:
    assert parameters(Broker._authenticate) == ["self", "session", "_"]
    source = inspect.getsource(Broker._handle_client_session)
    assert source.index("self._authenticate(") < source.index("performing take-over")
