"""twinhub's OpenAPI document (`document`) and the routes that serve it and the API page (`routes`)."""

from twinhub.api.openapi.document import OPENAPI_VERSION, document, document_json
from twinhub.api.openapi.routes import DOCUMENT_PATH, PAGE_PATH, routes

__all__ = ["DOCUMENT_PATH", "OPENAPI_VERSION", "PAGE_PATH", "document", "document_json", "routes"]
