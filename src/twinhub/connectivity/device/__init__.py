"""The zero-setup device endpoint: an MQTT endpoint inside the server process (`endpoint.py`)."""

from twinhub.connectivity.device.endpoint import DeviceEndpoint
from twinhub.connectivity.device.telemetry import Layout

__all__ = ["DeviceEndpoint", "Layout"]
