"""`like`/`ilike` wildcard patterns, as Ditto's `LikeHelper.convertToRegexSyntax` and its in-memory use.

`*` is any run of characters (runs of `**` collapse), `?` exactly one character, everything else literal (there
is no escape for a literal `*` or `?`); the whole value must match. In Ditto's in-memory evaluation the pattern
is a Java regex compiled with `matcher(value).matches()`: its `.` matches no line terminator (`\\n \\r \\u0085
\\u2028 \\u2029`), and `Pattern.CASE_INSENSITIVE` without `UNICODE_CASE` folds US-ASCII letters only. Both
functions here keep those two rules; `like_matches` gives the same answers as `like_to_regex` without a
backtracking regex (one left-to-right pass of C-level searches, so hostile patterns cannot stall it).
"""

from __future__ import annotations

import re

__all__ = ["like_matches", "like_to_regex"]

_LINE_TERMINATORS = "\n\r\x85\u2028\u2029"
_ANY = f"[^{_LINE_TERMINATORS}]"
_STARS = re.compile(r"\*{2,}")
_SPLIT_LINES = re.compile(f"([{_LINE_TERMINATORS}])")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def like_to_regex(pattern: str, *, case_insensitive: bool) -> re.Pattern[str]:
    """The anchored regex for `pattern`; `regex.match(value)` is true exactly when `value` is like `pattern`."""
    parts = []
    for char in _STARS.sub("*", pattern):
        if char == "*":
            parts.append(f"{_ANY}*")
        elif char == "?":
            parts.append(_ANY)
        else:
            parts.append(re.escape(char))
    flags = re.ASCII | re.IGNORECASE if case_insensitive else 0
    return re.compile(r"\A(?:" + "".join(parts) + r")\Z", flags)


def like_matches(pattern: str, value: str, *, case_insensitive: bool) -> bool:
    """Whether the whole `value` is like `pattern` (see the module docstring for the rules)."""
    if case_insensitive:
        pattern = pattern.translate(_ASCII_LOWER)
        value = value.translate(_ASCII_LOWER)
    # Wildcards never match a line terminator, so the terminators of both must be the same, in the same order,
    # and the lines between them match one by one.
    pattern_parts = _SPLIT_LINES.split(pattern)
    value_parts = _SPLIT_LINES.split(value)
    if len(pattern_parts) != len(value_parts) or pattern_parts[1::2] != value_parts[1::2]:
        return False
    return all(_line_matches(p, v) for p, v in zip(pattern_parts[::2], value_parts[::2], strict=True))


def _line_matches(pattern: str, value: str) -> bool:
    """Glob match of one line (no terminators in either).

    The first `*`-separated segment must match at the start, the last at the end, and each one between at its
    leftmost place after the previous one (leftmost is always safe: the next `*` absorbs the rest); the searches
    run in C (`str.find`, or a fixed-width regex for segments with `?`).
    """
    segments = pattern.split("*")
    if len(segments) == 1:
        return len(pattern) == len(value) and _segment_at(pattern, value, 0)
    first, last = segments[0], segments[-1]
    end = len(value) - len(last)
    if end < len(first) or not _segment_at(first, value, 0) or not _segment_at(last, value, end):
        return False
    position = len(first)
    for segment in segments[1:-1]:
        if not segment:
            continue
        if "?" in segment:
            regex = re.compile("".join("." if char == "?" else re.escape(char) for char in segment), re.DOTALL)
            found = regex.search(value, position, end)
            index = found.start() if found else -1
        else:
            index = value.find(segment, position, end)
        if index < 0:
            return False
        position = index + len(segment)
    return True


def _segment_at(segment: str, value: str, start: int) -> bool:
    """Whether `segment` (literal characters and `?`) matches `value` at `start`, within its length."""
    if "?" not in segment:
        return value.startswith(segment, start)
    return start + len(segment) <= len(value) and all(
        char == "?" or char == value[start + offset] for offset, char in enumerate(segment)
    )
