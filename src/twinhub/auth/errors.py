"""Authentication failures beyond the generic one.

    AuthenticationFailed            gateway:authentication.failed   401   (twinhub.model.errors)
    └── JwtIssuerNotSupported       gateway:jwt.issuer.notsupported 401

Every authentication failure is an `AuthenticationFailed`, so edges can catch that one type.
No message ever contains a credential or a token.
"""

from __future__ import annotations

from twinhub.model.errors import AuthenticationFailed

__all__ = ["JwtIssuerNotSupported"]

_MAX_ECHOED_ISSUER = 200


class JwtIssuerNotSupported(AuthenticationFailed):
    """The JWT's `iss` is none of the configured OpenID Connect issuers (Ditto's
    GatewayJwtIssuerNotSupportedException)."""

    def __init__(self, issuer: str) -> None:
        shown = issuer if len(issuer) <= _MAX_ECHOED_ISSUER else issuer[:_MAX_ECHOED_ISSUER] + "..."
        super().__init__(f"The JWT issuer '{shown}' is not supported.")
        self.code = "gateway:jwt.issuer.notsupported"
        self.description = "Check if your JWT is correct."
