"""Errors of the edge itself (Ditto's gateway): authentication, routes, methods, and the service as a whole.

No message ever contains a credential or a token.
"""

from __future__ import annotations

from twinhub.model.errors.base import Invalid, NotFound, TwinhubError, Unauthenticated, Unavailable, echoed

__all__ = [
    "AuthenticationFailed",
    "DuplicateHeaderField",
    "JwtIssuerNotSupported",
    "MethodNotAllowed",
    "RequestInvalid",
    "ResourceNotFound",
    "ServiceUnavailable",
]

class AuthenticationFailed(Unauthenticated):
    """No, wrong or unverifiable credentials. Every authentication failure is one, so that edges catch
    one type (and the HTTP answer offers a `WWW-Authenticate` challenge)."""

    def __init__(self, message: str = "Unauthorized. The request could not be authenticated.") -> None:
        super().__init__(
            "gateway:authentication.failed",
            401,
            message,
            "Check if your credentials were correct.",
        )


class JwtIssuerNotSupported(AuthenticationFailed):
    """The JWT's `iss` is none of the configured OpenID Connect issuers (Ditto's
    GatewayJwtIssuerNotSupportedException)."""

    def __init__(self, issuer: str) -> None:
        # An AuthenticationFailed with a code and description of its own.
        Unauthenticated.__init__(self, "gateway:jwt.issuer.notsupported", 401,
                                 f"The JWT issuer '{echoed(issuer)}' is not supported.",
                                 "Check if your JWT is correct.")


class RequestInvalid(Invalid):
    """A request the routes refuse for a reason no more specific error names (e.g. historical events
    asked of several things); `status` is that of Starlette's own refusal when it refused first."""

    def __init__(self, message: str, description: str | None = None, *, status: int = 400) -> None:
        super().__init__("gateway:request.invalid", status, message, description)


class DuplicateHeaderField(Invalid):
    """A request carrying a header field twice (RFC 7230 section 3.2.2; Ditto's GatewayDuplicateHeaderException),
    or a Ditto header both as a query parameter and as an HTTP header with `divergent` values (Ditto's
    RootRouteHeadersStepBuilder)."""

    def __init__(self, name: str, *, divergent: bool = False) -> None:
        super().__init__(
            "gateway:duplicate.header.field",
            400,
            f"<{echoed(name)}> was provided as header as well as query parameter with divergent values!" if divergent
            else f"The message contains headers which include a duplicate header field: '{echoed(name)}'",
            "A request must not contain multiple header fields with the same field name. "
            "For more information see RFC 7230 section 3.2.2.",
        )


class MethodNotAllowed(TwinhubError):
    """405: a method the resource does not have; the HTTP answer lists the allowed ones in `Allow`."""

    def __init__(self, method: str, allowed: list[str]) -> None:
        super().__init__(
            "gateway:method.notallowed",
            405,
            f"The provided HTTP method '{method}' is not allowed on this resource.",
            f"Use one of the allowed methods: {', '.join(allowed)}.",
        )
        self.allowed = allowed


class ResourceNotFound(NotFound):
    """A path with no route (in the HTTP API, or inside a thing or policy)."""

    def __init__(self, path: str) -> None:
        super().__init__(
            "gateway:resource.notfound",
            404,
            f"The requested resource '{path}' could not be found.",
            "Check the path of the request against the HTTP API v2 documentation.",
        )


class ServiceUnavailable(Unavailable):
    """A backend (store, bus) cannot answer now."""

    def __init__(self, message: str = "The service is temporarily unavailable.") -> None:
        super().__init__(
            "gateway:service.unavailable", 503, message, "Retry the request in a moment."
        )
