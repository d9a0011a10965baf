"""`_/_/policies/commands/checkPermissions` in a session (Ditto 3.7's CheckPermissions over the Ditto Protocol):
the named checks of `POST /api/2/checkPermissions`, answered with their verdicts for the session's subjects."""

from __future__ import annotations

from twinhub.model.types import JsonObject, Missing
from twinhub.protocol import Envelope, check_permissions_response, signal_headers
from twinhub.service.permissions import parse_permission_checks
from twinhub.service.session.party import Party

__all__ = ["check_permissions"]


async def check_permissions(party: Party, envelope: Envelope) -> None:
    """Answer the checks of `envelope` (raises 400 `things:thing.invalid` for malformed ones, as HTTP does)."""
    checks = parse_permission_checks(None if isinstance(envelope.value, Missing) else envelope.value)
    verdicts: JsonObject = {**await party.services.permissions.check(checks, party.subjects)}
    if signal_headers(envelope.headers).response_required:
        party.send(check_permissions_response(envelope, verdicts))
