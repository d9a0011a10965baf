"""The key by which fleet queries find first and last samples (pure SQL text): it sorts as (time, revision, thing
id).

It is text of fixed-width digits, then the thing id: the time after the range start plus 10**18 (19 digits), the
revision as (r div 10**9) + 10**10 (11 digits) and (r mod 10**9) + 10**9 (10 digits), which covers every revision
from 0 to 2**63 - 1. Sums and concatenation only: the databases format this several times faster than printf/lpad to
19 digits (SQLite, 720,000 points: 0.9 s less for the two keys).
"""

from __future__ import annotations

__all__ = ["KEY_THING", "fleet_key", "fleet_key_parts"]

KEY_THING = 41  # where the thing id starts (1-based, as substr counts)


def fleet_key(time: str, revision: str, thing: str, *, text: str = "({})") -> str:
    """The SQL of the fleet key of `time` (after the range start, at least 0), `revision` (at least 0) and `thing`
    (SQL expressions); `text` turns an integer expression into its decimal text."""
    parts = (f"{time} + {10**18}", f"{revision} / {10**9} + {10**10}", f"{revision} % {10**9} + {10**9}")
    return " || ".join([*(text.format(part) for part in parts), thing])


def fleet_key_parts(key: str, *, integer: str) -> tuple[str, str, str]:
    """The SQL of the time after the range start, the revision and the thing id of the fleet key `key`; `integer`
    reads decimal text as an integer. (Each step stays within 64 bits, up to the revision 2**63 - 1.)"""
    def digits(at: int, width: int) -> str:
        return integer.format(f"substr({key}, {at}, {width})")

    revision = f"(({digits(20, 11)} - {10**10}) * {10**9} + ({digits(31, 10)} - {10**9}))"
    return f"({digits(1, 19)} - {10**18})", revision, f"substr({key}, {KEY_THING})"
