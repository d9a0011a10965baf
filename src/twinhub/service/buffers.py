"""The bounded buffers of every session and stream, for the edges (which do not reach into `bus`):
`CutOffQueue` cuts off a reader that falls behind, `Budget` bounds the bytes of all of them together."""

from twinhub.bus.cutoff import Budget, CutOffQueue

__all__ = ["Budget", "CutOffQueue"]
