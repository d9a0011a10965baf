"""Policy announcements in a session (`START-SEND-POLICY-ANNOUNCEMENTS`): the subject deletion announcements that
concern the session's subjects, as `…/policies/announcements/subjectDeletion` (Ditto's
protocol-specification-policies.md "Announcements"). One that requests acknowledgements the session declared is
acknowledged as Ditto's are, on the acknowledgement topic of its entity (`<namespace>/<name>/things/twin/acks/
<label>`, the policy's id and the announcement's correlation-id)."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

import orjson

from twinhub.model.errors import WebSocketBufferOverflow
from twinhub.model.types import JsonValue
from twinhub.protocol import subject_deletion_announcement
from twinhub.service.announcement_receiver import AnnouncementReceiver
from twinhub.service.session.outbox import CloseReason
from twinhub.service.session.party import Party

__all__ = ["forward_announcements"]


async def forward_announcements(party: Party, receiver: AnnouncementReceiver) -> None:
    """Send the party what `receiver` gets, until it ends; a receiver cut off for falling behind closes the
    session."""
    async for announcement in receiver:
        party.send(subject_deletion_announcement(announcement.policy_id, subject_ids=announcement.subject_ids,
                                                 delete_at=announcement.delete_at,
                                                 headers=_shown(announcement.headers)))
    if receiver.overflowed:
        party.close(CloseReason.TRY_AGAIN_LATER,
                    WebSocketBufferOverflow("the session fell too far behind its policy announcements"))


def _shown(headers: Mapping[str, str]) -> dict[str, JsonValue]:
    """The headers as Ditto Protocol shows them: `requested-acks` as the JSON array it is."""
    shown: dict[str, JsonValue] = dict(headers)
    if (requested := headers.get("requested-acks")) is not None:
        with contextlib.suppress(orjson.JSONDecodeError):  # the announcer writes it as JSON
            shown["requested-acks"] = orjson.loads(requested)
    return shown
