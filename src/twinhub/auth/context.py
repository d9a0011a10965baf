"""Who a request acts as: its authorization subjects (`<issuer>:<subject>`, Ditto's subject ids)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["AuthContext"]


@dataclass(frozen=True, slots=True)
class AuthContext:
    """The subjects a request acts as, in order; the first is its default subject.

    Raises ValueError when there is no subject: an authenticated request always acts as someone.
    """

    subjects: tuple[str, ...]
    # When the credentials stop being valid (a JWT's `exp`, seconds since the epoch); None: never. Sessions that
    # outlive a request (the WebSocket) end then unless they are given fresh credentials.
    expires_at: float | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.subjects:
            raise ValueError("an AuthContext needs at least one subject")

    @property
    def default_subject(self) -> str:
        return self.subjects[0]
