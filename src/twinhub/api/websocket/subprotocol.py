"""Credentials carried as a WebSocket subprotocol, for browsers: a page cannot set headers on a WebSocket, and
`?access_token=` suits bearer tokens only (and lands in access logs). A client offers the subprotocols
`twinhub` and `twinhub.authorization.<base64url of an Authorization header value>`; the upgrade authenticates as
if that value were its `Authorization` header, and the server selects `twinhub`, never echoing the credentials.
An `Authorization` header, when the request has one, wins. The same scheme carries bearer tokens elsewhere
(Kubernetes' API server reads `base64url.bearer.authorization.k8s.io.<token>`).
"""

from __future__ import annotations

import base64
import binascii
from typing import Final

from starlette.types import Scope

from twinhub.model.errors import AuthenticationFailed

__all__ = ["CREDENTIALS_PREFIX", "PROTOCOL", "take_credentials"]

PROTOCOL: Final = "twinhub"
CREDENTIALS_PREFIX: Final = "twinhub.authorization."
_MAX_CREDENTIALS: Final = 16 * 1024  # as the longest header the authenticator reads


def take_credentials(scope: Scope) -> str | None:
    """Move credentials offered as a subprotocol into the scope's `authorization` header (unless it has one) and
    out of its subprotocols; the subprotocol to select (`PROTOCOL` if offered, else None). Raises 401
    `gateway:authentication.failed` for credentials that are no base64url."""
    offered = [str(protocol) for protocol in scope.get("subprotocols") or ()]
    carried = [protocol for protocol in offered if protocol.startswith(CREDENTIALS_PREFIX)]
    if carried:
        scope["subprotocols"] = [protocol for protocol in offered if not protocol.startswith(CREDENTIALS_PREFIX)]
        headers = [(name, value) for name, value in scope["headers"] if name != b"sec-websocket-protocol"]
        if not any(name == b"authorization" for name, _ in headers):
            headers.append((b"authorization", _decode(carried[0][len(CREDENTIALS_PREFIX):])))
        scope["headers"] = headers
    return PROTOCOL if PROTOCOL in offered else None


def _decode(text: str) -> bytes:
    if len(text) > _MAX_CREDENTIALS:
        raise AuthenticationFailed("The credentials of the WebSocket subprotocol are too long.")
    try:
        value = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise AuthenticationFailed("The credentials of the WebSocket subprotocol are not base64url.") from None
    if not value.isascii() or any(byte < 0x20 or byte == 0x7F for byte in value):
        raise AuthenticationFailed("The credentials of the WebSocket subprotocol are no header value.") from None
    return value
