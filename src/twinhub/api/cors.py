"""Cross-origin requests from browsers (CORS), for the origins of `cors_origins` (`TWINHUB_CORS_ORIGINS`).

Ditto's gateway (`enable-cors`, `CorsEnablingDirective`) and the nginx in front of it (`nginx-cors.conf`) answer
a preflight `OPTIONS` before any authentication, echo the request's `Origin` and its
`Access-Control-Request-Headers`, allow credentials, and expose Ditto's response headers. twinhub does the same
for the origins configured (`*`: any origin, echoed as Ditto's nginx does), with Starlette's CORS middleware;
the actual request still authenticates as any other. A preflight of another origin, or of a method no route
has, is refused with Ditto's error body. Without origins there is no middleware at all: CORS off costs a
request nothing.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from twinhub.api.responses import error_response
from twinhub.config import Settings
from twinhub.model.errors import RequestInvalid

__all__ = ["ALLOWED_METHODS", "EXPOSED_HEADERS", "MAX_AGE", "DittoCors", "cors_middleware"]

# Ditto's CorsEnablingDirective.
ALLOWED_METHODS = ("OPTIONS", "GET", "PUT", "PATCH", "POST", "HEAD", "DELETE")
# Ditto's nginx-cors.conf, then twinhub's own: history exports page with `Link` and download as
# `Content-Disposition`; 405 lists `Allow`, 429 `Retry-After`, 401 the challenge.
EXPOSED_HEADERS = ("correlation-id", "response-required", "dry-run", "channel", "etag", "ditto-originator",
                   "requested-acks", "timeout", "location", "ditto-metadata", "traceparent", "tracestate",
                   "entity-revision", "link", "content-disposition", "allow", "retry-after", "www-authenticate")
# How long a browser may keep a preflight's answer (Ditto's nginx: 20 days; browsers cap it at hours).
MAX_AGE = 20 * 24 * 3600


class DittoCors(CORSMiddleware):
    """Starlette's CORS middleware, refusing a preflight with Ditto's error body instead of plain text."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        refused = RequestInvalid(
            f"The cross-origin request of origin '{request_headers['origin']}' with method "
            f"'{request_headers['access-control-request-method']}' is not allowed.",
            "Send it from one of the origins in TWINHUB_CORS_ORIGINS, with one of the methods "
            f"{', '.join(ALLOWED_METHODS)}.", status=response.status_code)
        answer = error_response(refused)
        answer.headers["Vary"] = response.headers["Vary"]
        return answer


def cors_middleware(settings: Settings) -> list[Middleware]:
    """The middleware that answers CORS for `settings.cors_origins`; none when there is no origin."""
    if not settings.cors_origins:
        return []
    any_origin = "*" in settings.cors_origins
    return [Middleware(DittoCors, allow_origins=() if any_origin else settings.cors_origins,
                       # any origin: echoed, as credentials are allowed (a browser refuses `*` with them)
                       allow_origin_regex=".*" if any_origin else None,
                       allow_methods=ALLOWED_METHODS, allow_headers=("*",), allow_credentials=True,
                       allow_private_network=True, expose_headers=EXPOSED_HEADERS, max_age=MAX_AGE)]
