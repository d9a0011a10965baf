"""`ConnectionStatus` (inbound only): Eclipse Hono's `ttd` and `creation-time` headers become the thing's
`ConnectionStatus` feature (`readySince`, `readyUntil`), as Ditto's ConnectionStatusMessageMapper does.

    ttd  > 0   modify the feature: readySince = creation-time, readyUntil = creation-time + ttd seconds
    ttd == -1  modify the feature: readyUntil = 9999-12-31T23:59:59Z (connected until further notice)
    ttd == 0   modify only status/readyUntil = creation-time (disconnected)

Options: `thingId` (required; placeholders `header:`, e.g. `{{ header:device_id }}`), `featureId`
(default `ConnectionStatus`). A message without usable headers is dropped (as Ditto, which logs it only).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

from twinhub.connectivity.external import ExternalMessage
from twinhub.connectivity.mapping.base import MapperConfigurationInvalid, MapperContext
from twinhub.connectivity.mapping.support import option_text
from twinhub.connectivity.placeholders import HeaderPlaceholder, apply_or_delete, placeholders_of, validate
from twinhub.model.errors import TwinhubError
from twinhub.model.ids import parse_thing_id
from twinhub.model.types import JsonObject, JsonValue
from twinhub.protocol import Envelope, Topic

__all__ = ["ConnectionStatusMapper"]

DEFINITION: Final = "org.eclipse.ditto:ConnectionStatus:1.0.0"
_DISTANT_FUTURE: Final = "9999-12-31T23:59:59Z"
_MAX_MILLIS: Final = 253_402_300_799_000  # 9999-12-31T23:59:59Z
_HEADERS_ONLY: Final = frozenset({"header"})  # the options see only the message's headers, as in Ditto


class ConnectionStatusMapper:
    def __init__(self, context: MapperContext) -> None:
        thing_id = option_text(context, "thingId")
        if thing_id is None:
            raise MapperConfigurationInvalid("The mapper <ConnectionStatus> needs the option <thingId>.")
        try:
            self.thing_id = validate(thing_id, _HEADERS_ONLY)
            self.feature_id = validate(option_text(context, "featureId", "ConnectionStatus") or "ConnectionStatus",
                                       _HEADERS_ONLY)
            if "{{" not in thing_id:
                parse_thing_id(thing_id)
        except TwinhubError as error:
            raise MapperConfigurationInvalid(f"The option <thingId> is invalid: {error.message}") from error

    def map_inbound(self, message: ExternalMessage) -> Sequence[Envelope]:
        try:
            source = placeholders_of(HeaderPlaceholder(message.headers))
            thing_id = apply_or_delete(self.thing_id, source)
            feature_id = apply_or_delete(self.feature_id, source)
            creation = _millis(message.header("creation-time"))
            ttd = _millis(message.header("ttd"))
            if thing_id is None or feature_id is None or creation is None or ttd is None or creation < 0 or ttd < -1:
                return []
            entity = parse_thing_id(thing_id)
        except TwinhubError:
            return []
        headers: JsonObject = {"response-required": False, "requested-acks": []}
        ready_since = _instant(creation)
        value: JsonValue
        if ttd == 0:
            path, value = f"/features/{feature_id}/properties/status/readyUntil", ready_since
        else:
            until = _DISTANT_FUTURE if ttd == -1 else _instant(min(creation + ttd * 1000, _MAX_MILLIS))
            path = f"/features/{feature_id}"
            value = {"definition": [DEFINITION],
                     "properties": {"status": {"readySince": ready_since, "readyUntil": until}}}
        topic = Topic(entity.namespace, entity.name, "things", "twin", "commands", "modify")
        return [Envelope(topic=topic, headers=headers, path=path, value=value)]

    def map_outbound(self, envelope: Envelope) -> Sequence[ExternalMessage]:
        return []

    def close(self) -> None:
        pass


def _millis(text: str | None) -> int | None:
    digits = None if text is None else text.strip().lstrip("-")
    # ASCII digits only: "²" is a digit to str.isdigit, and int() refuses it.
    if text is None or digits is None or not (digits.isascii() and digits.isdigit()) or len(text) > 19:
        return None
    return int(text)


def _instant(millis: int) -> str:
    moment = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=min(millis, _MAX_MILLIS))
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{moment.microsecond // 1000:03d}Z" if moment.microsecond else "Z")
