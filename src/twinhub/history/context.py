"""What the history routes share: built when the history subsystem starts (`twinhub.history.subsystem`) and
reached through the request state (`context_of`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from starlette.requests import Request

from twinhub.api.context import authenticate_request
from twinhub.api.headers import correlation_id
from twinhub.auth import AuthContext, Authenticator
from twinhub.history.service import HistoryService, PointFeeds
from twinhub.service.live import new_correlation_id

__all__ = ["STATE_KEY", "HistoryContext", "context_of", "response_headers"]

STATE_KEY: Final = "twinhub.history"


@dataclass(frozen=True, slots=True)
class HistoryContext:
    authenticator: Authenticator
    service: HistoryService
    feeds: PointFeeds

    async def authenticate(self, request: Request) -> AuthContext:
        return await authenticate_request(self.authenticator, request)


def context_of(request: Request) -> HistoryContext:
    context: HistoryContext = request.scope["state"][STATE_KEY]
    return context


def response_headers(request: Request) -> dict[str, str]:
    """The headers every answer carries: the request's correlation-id (a new one when it has none)."""
    return {"correlation-id": correlation_id(request) or new_correlation_id()}
