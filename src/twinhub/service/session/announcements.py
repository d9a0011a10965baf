"""Policy announcements in a session (`START-SEND-POLICY-ANNOUNCEMENTS`): the subject deletion announcements that
concern the session's subjects, as `…/policies/announcements/subjectDeletion` (Ditto's
protocol-specification-policies.md "Announcements"). One that requests acknowledgements the session declared is
acknowledged as Ditto's are, on the acknowledgement topic of its entity (`<namespace>/<name>/things/twin/acks/
<label>`, the policy's id and the announcement's correlation-id)."""

from __future__ import annotations

from twinhub.model.errors import WebSocketBufferOverflow
from twinhub.protocol import subject_deletion_announcement
from twinhub.service.announcement_receiver import AnnouncementReceiver
from twinhub.service.event_headers import shown_event_headers
from twinhub.service.session.outbox import CloseReason
from twinhub.service.session.party import Party

__all__ = ["forward_announcements"]


async def forward_announcements(party: Party, receiver: AnnouncementReceiver) -> None:
    """Send the party what `receiver` gets, until it ends; a receiver cut off for falling behind closes the
    session."""
    async for announcement in receiver:
        party.send(subject_deletion_announcement(announcement.policy_id, subject_ids=announcement.subject_ids,
                                                 delete_at=announcement.delete_at,
                                                 headers=shown_event_headers(announcement.headers)))
    if receiver.overflowed:
        party.close(CloseReason.TRY_AGAIN_LATER,
                    WebSocketBufferOverflow("the session fell too far behind its policy announcements"))

