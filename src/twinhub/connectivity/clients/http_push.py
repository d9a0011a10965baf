"""The `http-push` connection type: Ditto's HTTP binding, webhooks out (connectivity-protocol-bindings-http).

The connection's uri is the endpoint's base, `http(s)://[user:password@]host[:port][/base-path]` (user and
password become HTTP basic authentication); a target's address is `<METHOD>:<path>`, `METHOD` one of GET,
POST, PUT, PATCH, DELETE, the path (with an optional query) appended to the uri: `POST:/events/{{ thing:id }}`
(placeholders are resolved by the runtime before `publish`). The message's headers become the request's
(apart from those HTTP itself owns: host, content-length, connection, transfer-encoding...), its payload the
body (none for GET and DELETE). `specificConfig.parallelism` (default 1, as Ditto) bounds the concurrent requests, each
on its own TCP connection. HTTP push has no sources: `validate_addresses` refuses them.

A 2xx response is a delivered message, returned as a `Reply` (status, headers, body) for an acknowledgement
or a live response; any other status is `EndpointRejected` carrying the same `Reply`. An endpoint that cannot
be reached, answers too slowly (the settings' `publish_timeout` for the whole exchange, however slowly it
drips), or sends a response body past the settings' `max_message_bytes` is a ClientFailure: nothing waits
without end or buffers without bound. Redirects are not followed (Ditto does not either): a 3xx is a refusal.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Sequence
from typing import Final, NoReturn

import httpx

from twinhub.connectivity.clients.base import ClientFailure, ClientSettings, EndpointRejected, Reply, SourceSettings
from twinhub.connectivity.external import ExternalMessage
from twinhub.connectivity.model import SpecificConfigInvalid, http_push_parallelism

__all__ = ["HttpPushClient", "HttpPushConfigInvalid", "parse_target_address", "validate_addresses"]

METHODS: Final = ("GET", "POST", "PUT", "PATCH", "DELETE")
NO_BODY: Final = ("GET", "DELETE")  # sent without the message's payload, as Ditto's default omitRequestBody
# Headers HTTP itself owns: set by httpx from the request, never taken from a message.
HOP_BY_HOP: Final = frozenset({"host", "content-length", "connection", "keep-alive", "transfer-encoding", "te",
                               "trailer", "upgrade", "proxy-authorization", "proxy-authenticate", "expect"})

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_FIELD_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")
_PATH = re.compile(r"(/[^\s#]*)?(\?[^\s#]*)?")
_PLACEHOLDER = re.compile(r"\{\{[^{}]*\}\}")


class HttpPushConfigInvalid(ClientFailure, ValueError):
    """A uri, `specificConfig` entry or address an HTTP push connection cannot use; the message says which."""


def parse_target_address(address: str) -> tuple[str, str]:
    """`<METHOD>:<path>` as (method, path); raises HttpPushConfigInvalid. The path is relative to the
    connection's uri: it starts with `/` or `?` (or is empty), and never names another host."""
    method, colon, path = address.partition(":")
    if not colon or method not in METHODS:
        raise HttpPushConfigInvalid(f"the target address <{address}> is not <METHOD>:<path> with METHOD one of "
                                    f"{', '.join(METHODS)}")
    resolved = _PLACEHOLDER.sub("x", path)  # a placeholder stands for a path part; resolved, it is checked again
    if resolved.startswith("//") or not _PATH.fullmatch(resolved):
        raise HttpPushConfigInvalid(f"the target address <{address}> has no valid path relative to the uri")
    return method, path


def validate_addresses(sources: Sequence[SourceSettings], target_addresses: Sequence[str]) -> None:
    """Refuse sources (Ditto's HTTP binding has none) and target addresses that are not `<METHOD>:<path>`
    (unresolved placeholders are fine: they are checked again once resolved)."""
    if sources:
        raise HttpPushConfigInvalid("HTTP push connections have no sources")
    for address in target_addresses:
        parse_target_address(address)


def _base_url(uri: str) -> httpx.URL:
    try:
        url = httpx.URL(uri)
    except httpx.InvalidURL as exc:
        raise HttpPushConfigInvalid(f"the uri is not a URL: {exc}") from exc
    if url.scheme not in ("http", "https") or not url.host or url.query or url.fragment:
        raise HttpPushConfigInvalid("the uri must be http(s)://[user:password@]host[:port][/path]")
    return url


class HttpPushClient:
    """One `http-push` connection on one worker (see the module docstring). Not reusable after `aclose`."""

    def __init__(self, settings: ClientSettings) -> None:
        url = _base_url(settings.uri)
        try:
            self.parallelism = http_push_parallelism(settings.specific_config)
        except SpecificConfigInvalid as exc:
            raise HttpPushConfigInvalid(str(exc)) from exc
        self._auth = httpx.BasicAuth(url.username, url.password) if url.username else None
        self._base = url.copy_with(username=None, password=None)
        self._verify = settings.validate_certificates
        self._connect_timeout = settings.connect_timeout
        self._timeout_seconds = settings.publish_timeout
        self._max_response_bytes = settings.max_message_bytes
        self._slots = asyncio.Semaphore(self.parallelism)
        self._http: httpx.AsyncClient | None = None
        self._closed = False

    async def connect(self) -> None:
        """Reach the endpoint's host and port (HTTP itself starts with the first publish)."""
        if self._closed or self._http is not None:
            raise RuntimeError("an HTTP push client connects once")
        port = self._base.port or (443 if self._base.scheme == "https" else 80)
        try:
            async with asyncio.timeout(self._connect_timeout):
                _, writer = await asyncio.open_connection(self._base.host, port)
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        except (OSError, TimeoutError) as exc:
            raise ClientFailure(f"HTTP push: cannot reach {self._base}: {exc or type(exc).__name__}") from exc
        limits = httpx.Limits(max_connections=self.parallelism, max_keepalive_connections=self.parallelism)
        timeout = httpx.Timeout(self._timeout_seconds, connect=min(self._connect_timeout, self._timeout_seconds))
        self._http = httpx.AsyncClient(auth=self._auth, limits=limits, timeout=timeout, verify=self._verify,
                                       follow_redirects=False, trust_env=False)

    def deliveries(self, source: SourceSettings) -> AsyncIterator[NoReturn]:
        raise HttpPushConfigInvalid("HTTP push connections have no sources")

    async def publish(self, message: ExternalMessage, *, qos: int | None = None) -> Reply:
        """One request per message; the 2xx response as a Reply (see the module docstring)."""
        if self._http is None or self._closed:
            raise RuntimeError("the HTTP push client is not connected")
        method, path = parse_target_address(message.address)
        request = self._http.build_request(method, self._url(path), headers=self._headers(message),
                                           content=None if method in NO_BODY else message.payload)
        async with self._slots:
            try:
                async with asyncio.timeout(self._timeout_seconds):
                    status, headers, body = await self._exchange(self._http, request)
            except TimeoutError as exc:
                raise ClientFailure(f"HTTP push: {method} {request.url.path} got no complete response within "
                                    f"{self._timeout_seconds:g} s") from exc
            except httpx.HTTPError as exc:
                raise ClientFailure(f"HTTP push: {method} {request.url.path} failed: "
                                    f"{exc or type(exc).__name__}") from exc
        reply = Reply(status, ExternalMessage(body, headers, headers.get("content-type"), message.address))
        if not 200 <= status < 300:
            raise EndpointRejected(f"HTTP push: {method} {request.url.path} answered {status}", reply)
        return reply

    def _url(self, path: str) -> httpx.URL:
        query_start = path.find("?")
        own_path, query = (path, "") if query_start < 0 else (path[:query_start], path[query_start + 1:])
        base_path = self._base.path.rstrip("/")
        return self._base.copy_with(path=base_path + own_path or "/", query=query.encode() or None)

    @staticmethod
    def _headers(message: ExternalMessage) -> dict[str, str]:
        headers = {name: value for name, value in message.headers.items() if name not in HOP_BY_HOP}
        if message.content_type and "content-type" not in headers:
            headers["content-type"] = message.content_type
        for name, value in headers.items():
            if not _TOKEN.fullmatch(name) or not _FIELD_VALUE.fullmatch(value):
                raise ClientFailure(f"HTTP push: the header {name!r} is not a valid HTTP header")
        return headers

    async def _exchange(self, http: httpx.AsyncClient,
                        request: httpx.Request) -> tuple[int, dict[str, str], bytes]:
        response = await http.send(request, stream=True)
        try:
            declared = response.headers.get("content-length", "")
            if declared.isascii() and declared.isdigit() and int(declared) > self._max_response_bytes:
                raise self._too_large(request)
            body = bytearray()
            async for chunk in response.aiter_bytes():  # decoded: a compressed bomb stops here too
                body += chunk
                if len(body) > self._max_response_bytes:
                    raise self._too_large(request)
        finally:
            await response.aclose()
        return response.status_code, {name.lower(): value for name, value in response.headers.items()}, bytes(body)

    def _too_large(self, request: httpx.Request) -> ClientFailure:
        return ClientFailure(f"HTTP push: the response to {request.method} {request.url.path} is larger than "
                             f"{self._max_response_bytes} bytes")

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._http is not None:
            await self._http.aclose()
