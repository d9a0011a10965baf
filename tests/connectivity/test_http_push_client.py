"""The `http-push` client against an HTTP receiver on a real socket: requests as the target address says,
responses back as replies, parallelism, and receivers that are slow, hang, flood, refuse or are not there."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
from collections.abc import AsyncIterator, Mapping
from contextlib import aclosing
from pathlib import Path

import pytest

from tests.connectivity.certificates import self_signed
from tests.connectivity.http_receiver import HttpReceiver
from tests.connectivity.polling import until
from twinhub.connectivity.clients import open_client
from twinhub.connectivity.clients.base import ClientFailure, ClientSettings, EndpointRejected, SourceSettings
from twinhub.connectivity.clients.http_push import (
    HttpPushClient,
    HttpPushConfigInvalid,
    parse_target_address,
    validate_addresses,
)
from twinhub.connectivity.external import ExternalMessage

pytestmark = pytest.mark.anyio


@pytest.fixture
async def receiver() -> AsyncIterator[HttpReceiver]:
    async with HttpReceiver() as running:
        yield running


def settings(uri: str, config: Mapping[str, str] | None = None, **limits: float) -> ClientSettings:
    return ClientSettings(connection_id="hooks", connection_type="http-push", uri=uri, client_id="worker-1",
                          group="twinhub-hooks", specific_config=dict(config or {}), **limits)  # type: ignore[arg-type]


async def connected(uri: str, config: Mapping[str, str] | None = None, **limits: float) -> HttpPushClient:
    client = open_client(settings(uri, config, **limits))
    assert isinstance(client, HttpPushClient)
    await client.connect()
    return client


def message(address: str, payload: bytes = b'{"a":1}', headers: Mapping[str, str] | None = None,
            content_type: str | None = "application/json") -> ExternalMessage:
    return ExternalMessage(payload, dict(headers or {}), content_type, address)


async def test_target_address_becomes_method_and_path_under_the_uri(receiver: HttpReceiver) -> None:
    async with aclosing(await connected(f"http://user:pw@127.0.0.1:{receiver.port}/echo/base")) as client:
        reply = await client.publish(message("PUT:/things/org.acme:lamp-1?x=1&y=a%20b",
                                             headers={"correlation-id": "c-7", "api-key": "secret"}))
    request = receiver.received[0]
    assert (request.method, request.target) == ("PUT", "/echo/base/things/org.acme:lamp-1?x=1&y=a%20b")
    assert request.headers["correlation-id"] == "c-7" and request.headers["api-key"] == "secret"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["authorization"] == "Basic dXNlcjpwdw=="  # user:pw
    assert request.body == b'{"a":1}'
    assert reply.status == 200
    assert reply.message.content_type == "application/json"
    assert reply.message.header("x-receiver") == "yes"
    assert json.loads(reply.message.payload)["method"] == "PUT"


@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_get_and_delete_send_no_body_and_hop_by_hop_headers_are_not_taken_from_the_message(
        receiver: HttpReceiver, method: str) -> None:
    async with aclosing(await connected(receiver.base)) as client:
        await client.publish(message(f"{method}:/echo", headers={"host": "evil.example", "content-length": "99",
                                                                 "connection": "upgrade", "x-fine": "1"}))
    request = receiver.received[0]
    assert request.method == method and request.body == b""
    assert request.headers["host"] == f"127.0.0.1:{receiver.port}"
    assert request.headers.get("content-length", "0") == "0" and request.headers["x-fine"] == "1"


@pytest.mark.parametrize("status", [400, 404, 500, 503, 302])
async def test_non_2xx_is_endpoint_rejected_with_the_reply(receiver: HttpReceiver, status: int) -> None:
    async with aclosing(await connected(receiver.base)) as client:
        with pytest.raises(EndpointRejected) as rejected:
            await client.publish(message(f"POST:/status/{status}"))
        assert rejected.value.reply.status == status
        assert rejected.value.reply.message.payload == b"as you asked"
        # The link is fine: the next message goes through.
        assert (await client.publish(message("POST:/status/201"))).status == 201


async def test_parallelism_bounds_concurrent_requests(receiver: HttpReceiver) -> None:
    async with aclosing(await connected(receiver.base, {"parallelism": "3"})) as client:
        sends = [asyncio.create_task(client.publish(message("POST:/wait"))) for _ in range(8)]
        await until(lambda: receiver.held == 3, "three requests held by the receiver")
        assert receiver.most_held == 3  # not more, although 8 are waiting
        receiver.release()
        replies = await asyncio.gather(*sends)
    assert [reply.status for reply in replies] == [204] * 8
    assert receiver.most_held == 3


@pytest.mark.parametrize("path", ["/hang", "/drip"])
async def test_slow_receivers_are_a_client_failure_after_the_timeout(receiver: HttpReceiver, path: str) -> None:
    async with aclosing(await connected(receiver.base, publish_timeout=0.5)) as client:
        with pytest.raises(ClientFailure, match=r"no complete response within 0\.5 s"):
            await client.publish(message(f"POST:{path}"))


@pytest.mark.parametrize("path", ["/huge", "/endless", "/bomb"])
async def test_huge_responses_are_a_client_failure(receiver: HttpReceiver, path: str) -> None:
    async with aclosing(await connected(receiver.base, max_message_bytes=64 * 1024, publish_timeout=10)) as client:
        with pytest.raises(ClientFailure, match="larger than 65536 bytes"):
            await client.publish(message(f"POST:{path}"))


async def test_connection_closed_without_an_answer_is_a_client_failure(receiver: HttpReceiver) -> None:
    async with aclosing(await connected(receiver.base)) as client:
        with pytest.raises(ClientFailure, match="failed"):
            await client.publish(message("POST:/close"))


async def test_unreachable_endpoint_is_a_client_failure() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = HttpPushClient(settings(f"http://127.0.0.1:{port}"))
    with pytest.raises(ClientFailure, match="cannot reach"):
        await client.connect()
    await client.aclose()


async def test_endpoint_gone_after_connect_is_a_client_failure() -> None:
    async with HttpReceiver() as gone:
        client = await connected(gone.base)
    async with aclosing(client):
        with pytest.raises(ClientFailure, match="failed"):
            await client.publish(message("POST:/echo"))


async def test_invalid_header_values_are_refused_not_sent(receiver: HttpReceiver) -> None:
    async with aclosing(await connected(receiver.base)) as client:
        with pytest.raises(ClientFailure, match="not a valid HTTP header"):
            await client.publish(message("POST:/echo", headers={"x-injected": "a\r\nset-cookie: b"}))
        with pytest.raises(ClientFailure, match="not a valid HTTP header"):
            await client.publish(message("POST:/echo", headers={"bad name": "v"}))
    assert receiver.received == []


async def test_sources_are_refused(receiver: HttpReceiver) -> None:
    with pytest.raises(HttpPushConfigInvalid, match="no sources"):
        validate_addresses([SourceSettings(("anything",))], [])
    async with aclosing(await connected(receiver.base)) as client:
        with pytest.raises(HttpPushConfigInvalid, match="no sources"):
            client.deliveries(SourceSettings(("anything",)))


@pytest.mark.parametrize("address", ["/path", "HEAD:/x", "post:/x", "POST://evil.example/x", "POST:http://evil/",
                                     "POST:/a b", "POST:/a#frag", "POST"])
def test_bad_target_addresses_are_refused(address: str) -> None:
    with pytest.raises(HttpPushConfigInvalid):
        validate_addresses([], [address])


def test_good_target_addresses() -> None:
    assert parse_target_address("POST:/events/{{ thing:id }}") == ("POST", "/events/{{ thing:id }}")
    assert parse_target_address("PATCH:") == ("PATCH", "")
    assert parse_target_address("GET:?q=1") == ("GET", "?q=1")


@pytest.mark.parametrize(("uri", "config"), [
    ("ftp://host", {}), ("http://", {}), ("http://host?x=1", {}), ("not a url", {}),
    ("http://host", {"parallelism": "0"}), ("http://host", {"parallelism": "1000"}),
    ("http://host", {"parallelism": "two"}), ("http://host", {"timeout": "1"}),
])
def test_bad_uri_or_specific_config_is_refused(uri: str, config: dict[str, str]) -> None:
    with pytest.raises(HttpPushConfigInvalid):
        HttpPushClient(settings(uri, config))


async def test_https_with_validate_certificates_refuses_an_unknown_authority_and_accepts_it_when_off(
        tmp_path: Path) -> None:
    async with HttpReceiver(tls=self_signed(tmp_path).server_context()) as receiver:
        checked = open_client(settings(receiver.base))
        await checked.connect()
        try:
            with pytest.raises(ClientFailure, match="CERTIFICATE_VERIFY_FAILED"):
                await checked.publish(message("POST:/echo"))
        finally:
            await checked.aclose()
        unchecked = open_client(dataclasses.replace(settings(receiver.base), validate_certificates=False))
        await unchecked.connect()
        try:
            reply = await unchecked.publish(message("POST:/echo"))
        finally:
            await unchecked.aclose()
        assert reply is not None and reply.status == 200
        assert len(receiver.received) == 1  # only the unchecked client's request got through
