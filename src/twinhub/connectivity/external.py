"""The message as a broker or endpoint carries it: headers, bytes, a content type and an address.

As Ditto's `ExternalMessage`: inbound, `address` is where it came from (an MQTT topic, an AMQP queue, a NATS
subject); outbound, where it goes (a resolved target address; for HTTP push `<METHOD>:<path>`). Header names
are kept lower-case (MQTT 5 user properties, AMQP application properties and HTTP headers are matched without
regard to case, as Ditto's `header:` placeholder does). Inbound, `authorization_subjects` are the subjects
the source acts as (its `authorizationContext`), set by the runtime before mapping: mappers read the first as
the `request:subjectId` placeholder, as Ditto's do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

__all__ = ["TEXT_CONTENT_TYPES", "ExternalMessage"]

# Content types whose payload is text (Ditto's `ContentTypes`): mappers see them as `textPayload`.
TEXT_CONTENT_TYPES: Final = ("text/", "application/json", "application/vnd.eclipse.ditto+json", "+json",
                             "application/xml", "+xml", "application/javascript")


@dataclass(frozen=True, slots=True)
class ExternalMessage:
    """One message of a broker. `headers` have lower-case names; `payload` is what the broker carried."""

    payload: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str | None = None
    address: str = ""
    authorization_subjects: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if any(name != name.lower() for name in self.headers):
            object.__setattr__(self, "headers", {name.lower(): value for name, value in self.headers.items()})

    def header(self, name: str) -> str | None:
        """The header `name` (any case), or None."""
        return self.headers.get(name.lower())

    @property
    def is_text(self) -> bool:
        """Whether the payload is text by its content type (no content type: text when it is valid UTF-8)."""
        content_type = (self.content_type or self.header("content-type") or "").split(";", 1)[0].strip().lower()
        if not content_type:
            return self.text is not None
        return any(content_type.startswith(kind) if kind.endswith("/") else
                   content_type.endswith(kind) if kind.startswith("+") else content_type == kind
                   for kind in TEXT_CONTENT_TYPES)

    @property
    def text(self) -> str | None:
        """The payload decoded as UTF-8, or None when it is not valid UTF-8."""
        try:
            return self.payload.decode("utf-8")
        except UnicodeDecodeError:
            return None
