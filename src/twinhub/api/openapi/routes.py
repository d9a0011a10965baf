"""The browsable API: twinhub's OpenAPI document at `/api/2/openapi.json` and Swagger UI on it at `/apidoc/`
(the page and Swagger UI's own files, packaged in `static/`; no CDN).

Both are readable without authentication, as Ditto's are (its deployments serve `/apidoc/` and the document
beside it from a Swagger UI container, outside nginx's `auth_basic`): they describe the API, never its data,
and a browser must load the page before it can log in. Every request the page sends authenticates as usual.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from twinhub.api.openapi.document import document_json
from twinhub.api.responses import JSON

__all__ = ["DOCUMENT_PATH", "PAGE_PATH", "STATIC", "routes"]

DOCUMENT_PATH = "/api/2/openapi.json"
PAGE_PATH = "/apidoc"
STATIC = Path(__file__).parent / "static"


async def openapi_document(request: Request) -> Response:
    return Response(document_json(), media_type=JSON)


routes: list[BaseRoute] = [
    Route(DOCUMENT_PATH, openapi_document, methods=["GET"]),
    Mount(PAGE_PATH, StaticFiles(directory=STATIC, html=True)),
]
