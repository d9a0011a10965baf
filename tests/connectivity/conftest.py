"""Fixtures of the connectivity tests: a throwaway virtual host on the machine's RabbitMQ (AMQP 0.9.1), a
RabbitMQ node of the tests' own (`rabbit_node.py`; AMQP 1.0, outages), each AMQP protocol in turn
(`amqp_side.py`), the machine's Mosquitto (random topic prefixes, sessions forgotten afterwards) and a
Mosquitto of the test's own (`mosquitto.py`). For the connections API: a development server on each store
(SQLite, and PostgreSQL in a throwaway database), and one with real authorization (pre-authenticated
subjects, one admin)."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aio_pika
import aio_pika.abc
import httpx
import pytest

from tests.connectivity.amqp_side import Client, Side, amqp091, amqp10
from tests.connectivity.e2e import Connections
from tests.connectivity.mosquitto import Mosquitto, own_mosquitto
from tests.connectivity.mqtt import forget_sessions
from tests.connectivity.rabbit_node import RabbitNode, new_node, remove, require_server
from tests.integration.services import MOSQUITTO, NATS, RABBITMQ, require, store_settings, throwaway_name
from twinhub.testing import Server, running_server

ADMIN = "nginx:admin"


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
        node.prepare_durable_queues(24)
        yield node
    finally:
        remove(node)


@pytest.fixture
def running_node(rabbit_node: RabbitNode) -> RabbitNode:
    """The node, started again if an earlier test stopped or killed it."""
    rabbit_node.start()
    return rabbit_node


@pytest.fixture(params=["amqp-091", pytest.param("amqp-10", marks=pytest.mark.xdist_group("rabbit_node"))])
def amqp_side(request: pytest.FixtureRequest) -> Side:
    """Each AMQP protocol in turn (`amqp_side.py`): 0.9.1 in this module's virtual host of the machine's
    RabbitMQ, 1.0 on the tests' own node."""
    if request.param == "amqp-091":
        return amqp091(request.getfixturevalue("vhost"))
    return amqp10(request.getfixturevalue("running_node"))


@pytest.fixture
async def amqp_peer(amqp_side: Side) -> AsyncIterator[aio_pika.abc.AbstractChannel]:
    """A plain aio-pika (AMQP 0.9.1) channel on the side's broker: its other side."""
    connection = await aio_pika.connect(amqp_side.uri)
    async with connection:
        yield await connection.channel()


@pytest.fixture
async def amqp_client(amqp_side: Side) -> AsyncIterator[Client]:
    """A connected client of the side."""
    client = amqp_side.client()
    await client.connect()
    yield client
    await client.aclose()


@pytest.fixture(scope="module")
def nats_url() -> str:
    """The machine's NATS server (with JetStream); skips (fails with `CI=true`) when nothing listens there."""
    require("NATS", NATS)
    return f"nats://{NATS[0]}:{NATS[1]}"


@pytest.fixture
def mosquitto_url() -> str:
    """The machine's Mosquitto; skips (fails with `CI=true`) when nothing listens there."""
    require("Mosquitto", MOSQUITTO)
    return f"tcp://{MOSQUITTO[0]}:{MOSQUITTO[1]}"


@pytest.fixture
def prefix() -> str:
    """A topic prefix no other test uses."""
    return f"twinhub-test/{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def client_ids(mosquitto_url: str) -> AsyncIterator[list[str]]:
    """Client ids for persistent sessions on the machine's broker; the sessions are removed afterwards."""
    ids: list[str] = []
    yield ids
    await forget_sessions(mosquitto_url, ids)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """A Mosquitto of the test's own, restartable, with persistence in a temporary directory."""
    with own_mosquitto(tmp_path / "mosquitto") as mosquitto:
        yield mosquitto


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def dev_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`twinhub serve --dev` (every authenticated subject may manage connections) on each store."""
    with store_settings(request.param, "twinhub_connections") as env, \
            running_server(tmp_path_factory.mktemp("connections") / "data", env=env) as server:
        yield server


@pytest.fixture
def api(dev_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=dev_server.base_url + "/api/2", auth=("ditto", "any"), timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def secured_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Not in development mode: subjects come from `x-ditto-pre-authenticated`; only `nginx:admin` is an
    admin."""
    env = {"TWINHUB_PRE_AUTHENTICATION": "true", "TWINHUB_ADMIN_SUBJECTS": f"{ADMIN}, oidc:ops"}
    with running_server(tmp_path_factory.mktemp("secured") / "data", args=(), env=env) as server:
        yield server


@pytest.fixture(scope="module")
def e2e_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`twinhub serve --dev` for a module of end-to-end connection tests (tests/connectivity/e2e.py)."""
    with running_server(tmp_path_factory.mktemp("e2e") / "data") as server:
        yield server


@pytest.fixture
async def e2e_api(e2e_server: Server) -> AsyncIterator[httpx.AsyncClient]:
    """The server's API as the user `ditto` (the subject `nginx:ditto`)."""
    async with httpx.AsyncClient(base_url=e2e_server.base_url + "/api/2", auth=("ditto", "any"),
                                 timeout=30) as client:
        yield client


@pytest.fixture
async def e2e_other(e2e_server: Server) -> AsyncIterator[httpx.AsyncClient]:
    """The server's API as the user `other` (the subject `nginx:other`)."""
    async with httpx.AsyncClient(base_url=e2e_server.base_url + "/api/2", auth=("other", "any"),
                                 timeout=30) as client:
        yield client


@pytest.fixture
async def e2e_connections(e2e_api: httpx.AsyncClient) -> AsyncIterator[Connections]:
    """Connections made over the API, deleted afterwards."""
    connections = Connections(e2e_api)
    yield connections
    await connections.delete_all()
