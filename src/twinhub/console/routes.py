"""The console's routes: the page at every `/console/...` address (the application routes in the browser), its
hashed assets, and `/` and `/console` sending the browser to `/console/`.

The page carries a strict Content-Security-Policy: scripts only from this origin (no inline script, no eval),
connections only to this origin (the API and its WebSocket), no framing by other sites. Styles may be inline:
the toolkit (Mantine) and the editor (CodeMirror) set them at run time. Assets are named by their content hash,
so they are cached for good; the page is revalidated each time, so a new build is picked up at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

__all__ = ["PAGE_HEADERS", "STATIC", "routes"]

STATIC: Final = Path(__file__).parent / "static"
BASE: Final = "/console/"

PAGE_HEADERS: Final = {
    "content-security-policy": "; ".join((
        "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:",
        "font-src 'self' data:", "connect-src 'self'", "object-src 'none'", "base-uri 'none'",
        "form-action 'self'", "frame-ancestors 'none'")),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-cache",
}
_ASSET_HEADERS: Final = ((b"cache-control", b"public, max-age=31536000, immutable"),
                         (b"x-content-type-options", b"nosniff"))


async def to_console(request: Request) -> Response:
    return RedirectResponse(BASE, status_code=307)


async def page(request: Request) -> Response:
    index = STATIC / "index.html"
    if not index.is_file():
        return PlainTextResponse("The console is not built: run `make console`.", status_code=503)
    return FileResponse(index, headers=PAGE_HEADERS, media_type="text/html; charset=utf-8")


class _Assets:
    """The built assets, with headers that cache them for good (their names change with their content)."""

    def __init__(self) -> None:
        self.files = StaticFiles(directory=STATIC / "assets", check_dir=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                message["headers"] = [*message.get("headers", ()), *_ASSET_HEADERS]
            await send(message)

        await self.files(scope, receive, with_headers)


routes: list[BaseRoute] = [
    Route("/", to_console, methods=["GET", "HEAD"]),
    Route("/console", to_console, methods=["GET", "HEAD"]),
    Mount("/console/assets", _Assets()),
    Route("/console/{path:path}", page, methods=["GET", "HEAD"]),
]
