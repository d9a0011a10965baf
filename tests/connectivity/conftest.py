"""Fixtures for the broker clients: a throwaway virtual host on the machine's RabbitMQ (AMQP 0.9.1) and a
RabbitMQ node of the tests' own (`rabbit_node.py`; AMQP 1.0, outages)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from tests.connectivity.rabbit_node import RabbitNode, new_node, remove, require_server
from tests.integration.services import RABBITMQ, require, throwaway_name


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def vhost() -> Iterator[str]:
    """A virtual host of the machine's RabbitMQ that only this module uses, where guest may do anything;
    deleted afterwards with all it holds. Yields its name."""
    require("RabbitMQ", RABBITMQ)
    name = throwaway_name("twinhub_test")
    rabbitmqctl("add_vhost", name)
    try:
        rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
        yield name
    finally:
        rabbitmqctl("delete_vhost", name)


@pytest.fixture(scope="session")
def rabbit_node() -> Iterator[RabbitNode]:
    """This worker's own RabbitMQ node (started; a test may stop, kill and start it again)."""
    require_server()
    node = new_node()
    try:
        node.start()
        yield node
    finally:
        remove(node)


@pytest.fixture
def running_node(rabbit_node: RabbitNode) -> RabbitNode:
    """The node, started again if an earlier test stopped or killed it."""
    rabbit_node.start()
    return rabbit_node
