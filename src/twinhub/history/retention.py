"""How long history is kept, and which rollups are maintained (pure): the settings' texts parsed and checked.

- Rollup widths (`TWINHUB_HISTORY_ROLLUPS`): `1m,1h` by default, `none` for none; each from 1s to 1d.
- Raw point retention (`TWINHUB_HISTORY_RETENTION`): items `<duration>` (the default for every leaf) and
  `<rule>=<duration>` with a rule as `twinhub.history.rules` reads one (`glob` or `namespace:glob`); the first
  rule that matches a leaf decides, else the default; without a default, leaves no rule matches are kept forever.
- Rollup retention (`TWINHUB_HISTORY_ROLLUP_RETENTION`): items `<width>=<duration>` per maintained width; a
  width without one is kept forever.
- Journal retention (`TWINHUB_JOURNAL_RETENTION`): one duration, or none.

A duration is `<n><unit>`, unit s, m, h, d, w (7 days) or y (365 days); `none` means forever.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from twinhub.history.rules import Rule, parse_rules, setting_items
from twinhub.history.timespec import MAX_STEP, MIN_STEP, parse_span

__all__ = ["DEFAULT_ROLLUPS", "DEFAULT_ROLLUP_WIDTHS", "MAX_ROLLUPS", "NONE", "HistoryRetention", "parse_duration",
           "parse_retention", "parse_rollup_retention", "parse_rollups"]

NONE = "none"  # no rollups, no retention limit
DEFAULT_ROLLUPS = ("1m", "1h")
MAX_ROLLUPS = 4  # each point costs one upsert per width
_LONGEST = timedelta(days=365 * 1000)  # far enough; keeps `now - keep` inside the datetime range


def parse_duration(text: str) -> timedelta | None:
    """`<n><s|m|h|d|w|y>` as a timedelta (None for `none`); raises ValueError otherwise or for zero."""
    text = text.strip()
    if text.lower() == NONE:
        return None
    duration = parse_span(text, "smhdwy")
    if duration is None:
        raise ValueError(f"{text!r} is no duration: use <n> with s, m, h, d, w or y (30d, 12h, 5y), or none")
    if not timedelta(0) < duration <= _LONGEST:
        raise ValueError(f"{text!r}: a duration is more than zero and at most 1000 years")
    return duration


def parse_rollups(items: Iterable[str]) -> tuple[timedelta, ...]:
    """The rollup widths, finest first (`none` alone: no rollups); raises ValueError for a width outside
    1s..1d, a duplicate, or more than MAX_ROLLUPS."""
    texts = list(setting_items(items))
    if [text.lower() for text in texts] == [NONE]:
        return ()
    widths: list[timedelta] = []
    for text in texts:
        width = parse_duration(text)
        if width is None or not MIN_STEP <= width <= MAX_STEP:  # the steps a query may ask for
            raise ValueError(f"rollup width {text!r}: a width is from 1s to 1d (or the list is just none)")
        if width in widths:
            raise ValueError(f"rollup width {text!r} is given twice")
        widths.append(width)
    if len(widths) > MAX_ROLLUPS:
        raise ValueError(f"at most {MAX_ROLLUPS} rollup widths (each costs a write per point)")
    return tuple(sorted(widths))


DEFAULT_ROLLUP_WIDTHS = parse_rollups(DEFAULT_ROLLUPS)


@dataclass(frozen=True, slots=True)
class HistoryRetention:
    """How long raw points are kept: the first matching rule's duration, else `default` (None: forever)."""

    rules: tuple[tuple[Rule, timedelta | None], ...] = ()
    default: timedelta | None = None

    @property
    def keeps_everything(self) -> bool:
        return self.default is None and all(keep is None for _, keep in self.rules)

    def keep(self, thing_id: str, path: str) -> timedelta | None:
        """How long the points of `path` of `thing_id` are kept (None: forever)."""
        namespace = thing_id.partition(":")[0]
        for rule, keep in self.rules:
            if rule.matches(namespace, path):
                return keep
        return self.default

    def cutoff(self, thing_id: str, path: str, now: datetime) -> datetime | None:
        """The time before which the series' points are pruned (None: none are)."""
        keep = self.keep(thing_id, path)
        return None if keep is None else now - keep


def parse_retention(items: Iterable[str]) -> HistoryRetention:
    """Raw point retention from its items (see the module); raises ValueError for a bad duration or rule, or a
    second default."""
    rules: list[tuple[Rule, timedelta | None]] = []
    default: timedelta | None = None
    defaults = 0
    for text in setting_items(items):
        rule_text, equals, duration_text = text.rpartition("=")
        if not equals:
            defaults += 1
            if defaults > 1:
                raise ValueError(f"history retention {text!r}: a second default (give one bare duration)")
            default = parse_duration(text)
            continue
        try:
            (rule,) = parse_rules([rule_text]) or (None,)
        except ValueError as exc:
            raise ValueError(f"history retention {text!r}: {exc}") from exc
        if rule is None:
            raise ValueError(f"history retention {text!r} has no rule before '='")
        rules.append((rule, parse_duration(duration_text)))
    return HistoryRetention(tuple(rules), default)


def parse_rollup_retention(items: Iterable[str], widths: Iterable[timedelta]) -> Mapping[timedelta, timedelta]:
    """How long each maintained rollup width is kept (widths not named: forever); raises ValueError for an
    item that is not `<width>=<duration>`, or a width that is not maintained or named twice."""
    maintained = set(widths)
    kept: dict[timedelta, timedelta] = {}
    for text in setting_items(items):
        width_text, equals, duration_text = text.partition("=")
        if not equals:
            raise ValueError(f"rollup retention {text!r}: use <width>=<duration>, as 1m=90d")
        width = parse_duration(width_text)
        if width is None or width not in maintained:
            raise ValueError(f"rollup retention {text!r}: {width_text.strip()!r} is not a maintained rollup width")
        if width in kept:
            raise ValueError(f"rollup retention {text!r}: the width is given twice")
        keep = parse_duration(duration_text)
        if keep is not None:
            kept[width] = keep
    return kept

