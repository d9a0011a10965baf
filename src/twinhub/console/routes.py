"""The console's routes: the page at every `/console/...` address (the application routes in the browser), its
hashed assets, and `/` and `/console` sending the browser to `/console/`.

The page carries a strict Content-Security-Policy: scripts only from this origin (no inline script, no eval),
connections only to this origin (the API and its WebSocket), no framing by other sites. Styles may be inline:
the toolkit (Mantine) and the editor (CodeMirror) set them at run time. Assets are named by their content hash,
so they are cached for good (and sent gzipped, as the build compressed them, to browsers that accept it); the
page is revalidated each time, so a new build is picked up at once.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Final

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

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
_ASSET_HEADERS: Final = {"cache-control": "public, max-age=31536000, immutable", "x-content-type-options": "nosniff"}


async def to_console(request: Request) -> Response:
    return RedirectResponse(BASE, status_code=307)


async def page(request: Request) -> Response:
    if request.path_params["path"].startswith("assets/"):  # an asset that was not built: no page in its place
        return PlainTextResponse("Not Found", status_code=404)
    index = STATIC / "index.html"
    if not index.is_file():
        return PlainTextResponse("The console is not built: run `make console`.", status_code=503)
    return FileResponse(index, headers=PAGE_HEADERS, media_type="text/html; charset=utf-8")


def _built(directory: Path) -> frozenset[str]:
    """The names of the built assets: nothing else is ever served from their directory."""
    return frozenset(path.name for path in directory.iterdir() if path.is_file()) if directory.is_dir() else frozenset()


_ASSETS: Final = STATIC / "assets"
_BUILT: Final = _built(_ASSETS)


async def asset(request: Request) -> Response:
    """A built asset; its gzip twin (written by the build) for a browser that accepts gzip."""
    name: str = request.path_params["name"]
    if name not in _BUILT or name.endswith(".gz"):
        return PlainTextResponse("Not Found", status_code=404)
    headers = dict(_ASSET_HEADERS)
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if f"{name}.gz" in _BUILT:
        headers["vary"] = "accept-encoding"
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["content-encoding"] = "gzip"
            return FileResponse(_ASSETS / f"{name}.gz", headers=headers, media_type=media_type)
    return FileResponse(_ASSETS / name, headers=headers, media_type=media_type)


routes: list[BaseRoute] = [
    Route("/", to_console, methods=["GET", "HEAD"]),
    Route("/console", to_console, methods=["GET", "HEAD"]),
    Route("/console/assets/{name}", asset, methods=["GET", "HEAD"]),
    Route("/console/{path:path}", page, methods=["GET", "HEAD"]),
]
