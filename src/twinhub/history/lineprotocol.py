"""Points as InfluxDB line protocol: `<measurement>,path=<path>,thingId=<id> value=<v> <ns>` per point.

Escaping follows InfluxDB's line protocol reference: in the measurement, commas and spaces; in tag keys, tag
values and field keys, commas, equals signs and spaces; in string field values, double quotes and backslashes.
Backslashes are doubled everywhere, so that a value ending in one cannot escape the separator after it (two
contiguous backslashes read as one). Line protocol cannot carry a newline in a tag or field value: such a point
is refused rather than altered, and so is a point whose time 64-bit nanoseconds since the epoch cannot hold
(before 1677 or after 2262: a device may send such a time), since InfluxDB refuses the whole write of such a
line. Integers take the `i` suffix, booleans are `true`/`false`; the timestamp is nanoseconds since the epoch.

InfluxDB keeps one type per field key of a measurement (per shard), and refuses points of another ("field type
conflict"). An export of one series has one type, but a sink writes every path into one measurement; it asks
for fields keyed by type (`typed_fields`): numbers as floats in `value` (an integer and a fraction of one
series stay one field), booleans in `value_bool`, strings in `value_str`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from twinhub.history.series import RecordedPoint, Scalar, format_time, micros
from twinhub.model.errors import HistoryFormatInvalid

__all__ = ["DEFAULT_MEASUREMENT", "NANOSECOND_MICROS", "line_of", "render_line_protocol"]

DEFAULT_MEASUREMENT = "twinhub"
_INT64 = range(-(2**63), 2**63)
# The times line protocol can carry, in microseconds: nanoseconds since the epoch in 64 bits (1677 to 2262).
NANOSECOND_MICROS = range(-(2**63) // 1000 + 1, (2**63 - 1) // 1000 + 1)

_MEASUREMENT = re.compile(r"([\\, ])")
_KEY_OR_TAG = re.compile(r"([\\,= ])")
_STRING = re.compile(r'([\\"])')


def _escaped(pattern: re.Pattern[str], text: str) -> str:
    if "\n" in text or "\r" in text:
        raise HistoryFormatInvalid("lp", "Line protocol cannot carry a line break inside a name or value.")
    return pattern.sub(r"\\\1", text)


def _field(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if value not in _INT64:
            return repr(float(value))  # InfluxDB integers are 64-bit; the nearest float says more than nothing
        return f"{value}i"
    if isinstance(value, float):
        return repr(value)
    return f'"{_escaped(_STRING, value)}"'


def line_of(point: RecordedPoint, measurement: str = DEFAULT_MEASUREMENT, *, typed_fields: bool = False) -> str:
    """One point as one line (without its newline); `typed_fields`: the field keyed by the value's type. Raises
    HistoryFormatInvalid for what line protocol cannot carry (a line break, a time outside `NANOSECOND_MICROS`)."""
    time = micros(point.time)
    if time not in NANOSECOND_MICROS:
        raise HistoryFormatInvalid("lp", f"Line protocol cannot carry the time {format_time(point.time)} (it holds "
                                         "1677 to 2262); export this range as csv or parquet.")
    value = point.value
    key = "value"
    if typed_fields:
        if isinstance(value, bool):
            key = "value_bool"
        elif isinstance(value, str):
            key = "value_str"
        else:
            value = float(value)
    # tags in byte order, as InfluxDB recommends (it sorts them otherwise)
    return (f"{_escaped(_MEASUREMENT, measurement)},path={_escaped(_KEY_OR_TAG, point.path)},"
            f"thingId={_escaped(_KEY_OR_TAG, point.thing_id)} {key}={_field(value)} {time * 1000}")


def render_line_protocol(points: Iterable[RecordedPoint], measurement: str = DEFAULT_MEASUREMENT) -> Iterator[str]:
    """The lines of `points`, each ending in a newline; raises HistoryFormatInvalid as `line_of` does (line
    protocol has no way to write such a point)."""
    for point in points:
        yield line_of(point, measurement) + "\n"
