"""Authentication of HTTP requests into Ditto auth subjects.

Development mode (the only mode until policies land) maps HTTP basic credentials to `nginx:<user>`
(any password, as behind Ditto's nginx) and trusts `x-ditto-pre-authenticated: <issuer>:<subject>`.
It is insecure by design and the server says so at start.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from starlette.requests import HTTPConnection

from twinhub.model.errors import AuthenticationFailed

PRE_AUTHENTICATED_HEADER = "x-ditto-pre-authenticated"


@dataclass(frozen=True, slots=True)
class AuthContext:
    """The subjects a request acts as; the first is its default subject."""

    subjects: tuple[str, ...]

    @property
    def default_subject(self) -> str:
        return self.subjects[0]


def _basic_user(header: str) -> str:
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise AuthenticationFailed("The HTTP basic credentials could not be decoded.") from exc
    user, _, _password = decoded.partition(":")
    if not user:
        raise AuthenticationFailed("The HTTP basic credentials contain no user name.")
    return user


def authenticate_dev(connection: HTTPConnection) -> AuthContext:
    """Subjects from a pre-authenticated header or HTTP basic; raises 401 when neither is present."""
    pre = connection.headers.get(PRE_AUTHENTICATED_HEADER)
    if pre:
        issuer, sep, subject = pre.partition(":")
        if not sep or not issuer or not subject:
            raise AuthenticationFailed(f"The header '{PRE_AUTHENTICATED_HEADER}' must be '<issuer>:<subject>'.")
        return AuthContext((pre,))
    authorization = connection.headers.get("authorization", "")
    if authorization[:6].lower() == "basic ":
        return AuthContext((f"nginx:{_basic_user(authorization)}",))
    raise AuthenticationFailed()
