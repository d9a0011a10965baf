"""The Ditto headers a thing event carries, from the command that caused it to the subscribers that see it.

A command's event carries who sent it, its correlation-id and the acknowledgements its sender waits for
(`carried_headers`), plus, for a command of a Ditto Protocol session, which session issued it
(`ORIGIN_HEADER`): Ditto does not publish a signal back to the session it came from (its "same origin"
rule), and nobody is shown that header (`shown_event_headers`). Clients cannot set `ditto-*` headers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import orjson

from twinhub.model.live import BUILT_IN_LABELS
from twinhub.model.types import JsonObject

__all__ = ["ORIGIN_HEADER", "carried_headers", "shown_event_headers"]

# Which session issued a signal (so that it is not sent back to it): not shown to anyone.
ORIGIN_HEADER: Final = "ditto-origin"


def carried_headers(originator: str, correlation_id: str | None, requested_acks: Sequence[str]) -> dict[str, str]:
    """What a command's event carries to subscribers: who sent it, its correlation-id and the
    acknowledgements its sender waits for that subscribers must answer (as Ditto, without the
    built-in labels, which twinhub issues itself)."""
    carried = {"ditto-originator": originator}
    if correlation_id:
        carried["correlation-id"] = correlation_id
    custom = [label for label in requested_acks if label not in BUILT_IN_LABELS]
    if custom:
        carried["requested-acks"] = orjson.dumps(custom).decode()
    return carried


def shown_event_headers(headers: Mapping[str, str]) -> JsonObject:
    """The headers of a command an event shows its subscribers: `requested-acks` as a JSON array again,
    without the origin session."""
    shown: JsonObject = {}
    for name, value in headers.items():
        if name == ORIGIN_HEADER:
            continue
        shown[name] = orjson.loads(value) if name == "requested-acks" else value
    return shown
