"""Which web pages may open a WebSocket: a browser sends the page's `Origin` with the upgrade and, unlike a fetch,
no CORS check guards the answer; it may also attach credentials it cached (a basic login to `/apidoc`), so any
site a user visits could otherwise act as them over `/ws/2` (cross-site WebSocket hijacking). An upgrade with an
`Origin` is accepted from the server's own origin (the console) and from the origins of `cors_origins` (`*`: any),
as cross-origin HTTP is; clients that are no browser send no `Origin` and are not affected. Ditto leaves this to
the proxy in front of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

from twinhub.model.errors import RequestInvalid

__all__ = ["check_origin"]


def check_origin(connection: HTTPConnection, allowed: Sequence[str]) -> None:
    """Raises 403 for an upgrade from a page of another origin than the server's and the `allowed` ones."""
    origin = connection.headers.get("origin")
    if origin is None or "*" in allowed or origin in allowed:
        return
    host = connection.headers.get("host", "")
    try:
        same = urlsplit(origin).netloc.lower() == host.lower() and bool(host)
    except ValueError:
        same = False
    if not same:
        raise RequestInvalid(
            f"A WebSocket from a page of origin '{origin[:200]}' is not allowed.",
            "Open it from a page of this server, or add the page's origin to TWINHUB_CORS_ORIGINS.", status=403)
