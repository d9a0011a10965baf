"""`Authenticator`: a request's headers (and query) -> its `AuthContext`, by several methods at once.

Which credentials count, in this order (the first present decides; failing credentials never fall
through to another method):

1. `x-ditto-pre-authenticated: <issuer>:<subject>` — only with `pre_authentication=True` (a trusted
   proxy authenticated the user; like Ditto, it then wins over an `Authorization` header the proxy
   passes through) or in dev mode;
2. `Authorization: Bearer <jwt>` — an OpenID Connect token of a configured issuer (`twinhub.auth.jwt`);
3. `Authorization: Basic ...` — a user of the `UserStore`, subject `nginx:<username>` (as behind
   Ditto's nginx); in dev mode any username, without a password check;
4. the query parameter `access_token=<jwt>` — as 2., for browsers that cannot set headers (WebSocket).

Nothing of these -> 401.

`login(username, password)` is the one check of a name and a password, for HTTP basic and for the MQTT
device endpoint alike: a username with a `:` is a thing id, so a *device* of the `DeviceStore` (subject
`device:<thingId>`, as Hono's device registry gives Ditto), any other a user. HTTP basic splits user and
password at the first `:` (RFC 7617), so over HTTP a device cannot log in: its credentials are for MQTT
(a device that needs HTTP gets a user or an OIDC client).

Headers come as a plain mapping with lower-case names; this module knows no web framework. No credential
or token is ever logged or put into an error message.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from types import TracebackType
from typing import Self

from twinhub.auth.basic import BasicVerifier
from twinhub.auth.context import AuthContext
from twinhub.auth.jwt import JwtAuthenticator
from twinhub.model.errors import AuthenticationFailed, TwinhubError
from twinhub.store.devices import DeviceStore, device_subject, is_valid_device_id
from twinhub.store.users import UserStore, is_valid_username

__all__ = ["ACCESS_TOKEN_PARAM", "BASIC_SUBJECT_ISSUER", "PRE_AUTHENTICATED_HEADER", "Authenticator"]

PRE_AUTHENTICATED_HEADER = "x-ditto-pre-authenticated"
ACCESS_TOKEN_PARAM = "access_token"
BASIC_SUBJECT_ISSUER = "nginx"

_MAX_HEADER_LENGTH = 16 * 1024


class Authenticator:
    """Authenticates requests with the configured methods; see the module docstring for the order.

    `basic`: checks HTTP basic credentials (None: basic auth only in dev mode). `jwt`: validates bearer
    tokens (None: bearer tokens are refused). `pre_authentication`: trust the pre-authenticated header.
    `dev`: INSECURE — any basic username without a password, and the pre-authenticated header.
    """

    def __init__(self, *, basic: BasicVerifier[UserStore] | None = None, jwt: JwtAuthenticator | None = None,
                 pre_authentication: bool = False, dev: bool = False,
                 devices: BasicVerifier[DeviceStore] | None = None) -> None:
        self.basic = basic
        self.devices = devices
        self.jwt = jwt
        self.pre_authentication = pre_authentication
        self.dev = dev

    def warnings(self) -> list[str]:
        """What the server must announce loudly at start (empty when the setup is safe)."""
        found: list[str] = []
        if self.dev:
            found.append(
                "INSECURE development authentication is on: any HTTP basic user is accepted WITHOUT a password "
                f"check, and the '{PRE_AUTHENTICATED_HEADER}' header is trusted from any client. "
                "Do not expose this server."
            )
        elif self.pre_authentication:
            found.append(
                f"Pre-authentication is on: the '{PRE_AUTHENTICATED_HEADER}' header is trusted. Run this server "
                "only behind a proxy that authenticates users and sets (or strips) that header."
            )
        if not self.dev and not self.pre_authentication and self.basic is None and not self._has_jwt():
            found.append("No authentication method is configured: every request will be rejected with 401.")
        return found

    async def warnings_at_start(self) -> list[str]:
        """`warnings()`, and whether basic users are the only way in while there is none yet."""
        found = self.warnings()
        if self.dev or self.pre_authentication or self._has_jwt() or self.basic is None:
            return found
        try:
            users = await self.basic.store.list_users()
        except TwinhubError:  # the store is unavailable now; requests will say so
            return found
        if not users:
            found.append("No user exists yet and development authentication is off, so every request will be "
                         "rejected with 401. Add a user with `twinhub user add <name>` (with this server's "
                         "--data-dir or store_url; it can log in at once), or start with --dev to try twinhub out "
                         "(INSECURE).")
        return found

    async def authenticate(self, headers: Mapping[str, str], query: Mapping[str, str]) -> AuthContext:
        """The subjects of the request; raises AuthenticationFailed (401), or ServiceUnavailable (503) when
        the user store cannot be read."""
        pre = headers.get(PRE_AUTHENTICATED_HEADER)
        if pre is not None and (self.pre_authentication or self.dev):
            return _pre_authenticated(pre)
        authorization = headers.get("authorization")
        if authorization is not None:
            scheme, _, credentials = authorization.strip().partition(" ")
            scheme = scheme.lower()
            if scheme == "bearer":
                return await self._bearer(credentials.strip())
            if scheme == "basic":
                return await self._basic(credentials.strip())
            raise AuthenticationFailed(
                f"The authorization scheme '{scheme[:20]}' is not supported; use Bearer or Basic."
            )
        token = query.get(ACCESS_TOKEN_PARAM)
        if token is not None:
            return await self._bearer(token.strip())
        if pre is not None:
            raise AuthenticationFailed(
                f"The header '{PRE_AUTHENTICATED_HEADER}' is not accepted: pre-authentication is disabled."
            )
        raise AuthenticationFailed()

    async def _bearer(self, token: str) -> AuthContext:
        if not token:
            raise AuthenticationFailed("The bearer token is empty.")
        if self.jwt is None or not self.jwt.issuers:
            raise AuthenticationFailed("Bearer tokens are not accepted: no OpenID Connect issuer is configured.")
        valid = await self.jwt.validate(token)
        return AuthContext(valid.subjects, expires_at=valid.expires_at)

    async def _basic(self, credentials: str) -> AuthContext:
        username, password = _basic_credentials(credentials)
        return await self.login(username, password)

    async def login(self, username: str, password: str) -> AuthContext:
        """The subject of a username and password (HTTP basic, MQTT CONNECT): a device for a thing id, a
        user otherwise; raises AuthenticationFailed, TooManyRequests or ServiceUnavailable as `authenticate`."""
        if ":" in username:
            return await self._device(username, password)
        if self.dev:
            if not is_valid_username(username):
                raise AuthenticationFailed("The HTTP basic username is empty or contains control characters.")
            return AuthContext((f"{BASIC_SUBJECT_ISSUER}:{username}",))
        if self.basic is None:
            raise AuthenticationFailed("HTTP basic authentication is not enabled.")
        if not await self.basic.verify(username, password):
            raise AuthenticationFailed("The HTTP basic username or password is wrong.")
        return AuthContext((f"{BASIC_SUBJECT_ISSUER}:{username}",))

    async def _device(self, device_id: str, password: str) -> AuthContext:
        if not is_valid_device_id(device_id):
            raise AuthenticationFailed("The username is no user and no device (a thing id).")
        if self.dev:
            return AuthContext((device_subject(device_id),))
        if self.devices is None or not await self.devices.verify(device_id, password):
            raise AuthenticationFailed("The device or its password is wrong.")
        return AuthContext((device_subject(device_id),))

    def _has_jwt(self) -> bool:
        return self.jwt is not None and bool(self.jwt.issuers)

    async def aclose(self) -> None:
        if self.jwt is not None:
            await self.jwt.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        traceback: TracebackType | None) -> None:
        await self.aclose()


def _pre_authenticated(value: str) -> AuthContext:
    issuer, colon, subject = value.strip().partition(":")
    if not colon or not issuer or not subject or len(value) > _MAX_HEADER_LENGTH or not value.isprintable():
        raise AuthenticationFailed(f"The header '{PRE_AUTHENTICATED_HEADER}' must be '<issuer>:<subject>'.")
    return AuthContext((value.strip(),))


def _basic_credentials(encoded: str) -> tuple[str, str]:
    if len(encoded) > _MAX_HEADER_LENGTH:
        raise AuthenticationFailed("The HTTP basic credentials are too long.")
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        # `from None`: a UnicodeDecodeError would carry the decoded credentials along.
        raise AuthenticationFailed("The HTTP basic credentials could not be decoded.") from None
    username, colon, password = decoded.partition(":")
    if not colon:
        raise AuthenticationFailed("The HTTP basic credentials must be '<username>:<password>'.")
    return username, password
