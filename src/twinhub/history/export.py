"""Exports of a range of points: the formats, chosen by `format=` or the `Accept` header, and the CSV renderer.

CSV has one row per point, `thingId,path,time,value,revision`, with ISO-8601 UTC times; numbers and booleans are
written as JSON writes them, strings as they are (quoted by the CSV rules where needed), except that text starting
with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, as OWASP advises against CSV injection: a
spreadsheet would otherwise run a device's string as a formula. Text already starting with `'` gets one too, so
removing one leading `'` from such a cell always gives the text back.
"""

from __future__ import annotations

import csv
import enum
import io
import re
from collections.abc import Iterable, Iterator

from twinhub.history.series import RecordedPoint, Scalar, format_time, scalar_json
from twinhub.model.errors import HistoryFormatInvalid

__all__ = ["CSV_HEADER", "ExportFormat", "choose_format", "render_csv"]

CSV_HEADER = ("thingId", "path", "time", "value", "revision")


class ExportFormat(enum.StrEnum):
    """An export format; its value is the `format=` name."""

    CSV = "csv"
    PARQUET = "parquet"
    LINE_PROTOCOL = "lp"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]


_MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv",
    ExportFormat.PARQUET: "application/vnd.apache.parquet",
    ExportFormat.LINE_PROTOCOL: "text/plain",  # what InfluxDB's /write takes
}
_BY_MEDIA_TYPE = {
    "text/csv": ExportFormat.CSV,
    "application/vnd.apache.parquet": ExportFormat.PARQUET,
    "application/x-parquet": ExportFormat.PARQUET,
    "application/vnd.influx.line-protocol": ExportFormat.LINE_PROTOCOL,
}
_ALIASES = {"line": ExportFormat.LINE_PROTOCOL, "influx": ExportFormat.LINE_PROTOCOL}


def choose_format(format_param: str | None, accept: str | None) -> ExportFormat | None:
    """The export asked for: `format=` first (raises HistoryFormatInvalid when unknown), else what `Accept`
    prefers (`_preferred`); None when neither asks for an export (the JSON answer)."""
    if format_param is not None:
        name = format_param.strip().lower()
        if name in _ALIASES:
            return _ALIASES[name]
        try:
            return ExportFormat(name)
        except ValueError as exc:
            raise HistoryFormatInvalid(format_param, "Use format=csv, parquet or lp (InfluxDB line protocol).") from exc
    return _preferred(accept or "")


_JSON_TYPES = frozenset({"application/json", "application/*", "*/*"})
_QUALITY = re.compile(r"q=(0(\.[0-9]{0,3})?|1(\.0{0,3})?)", re.IGNORECASE)


def _preferred(accept: str) -> ExportFormat | None:
    """The media type `Accept` prefers among the exports and JSON (RFC 9110: highest `q` first, then in the order
    written; `q=0` refuses), at most 32 of them read: an export, or None for JSON (or when it names neither)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept.split(",")[:32]):
        media_type, *parameters = (item.strip() for item in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            if parameter[:2].lower() == "q=":
                match = _QUALITY.fullmatch(parameter.replace(" ", ""))
                quality = float(match[1]) if match else 0.0  # a malformed weight counts as a refusal
        if quality > 0:
            ranked.append((-quality, index, media_type.lower()))
    for _, _, media_type in sorted(ranked):
        if media_type in _JSON_TYPES:
            return None
        if media_type in _BY_MEDIA_TYPE:
            return _BY_MEDIA_TYPE[media_type]
    return None


# What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection"), and the quote that defuses it.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def _text(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _cell(value: Scalar) -> str:
    return _text(value) if isinstance(value, str) else scalar_json(value)  # a negative number stays a number


def render_csv(points: Iterable[RecordedPoint]) -> Iterator[str]:
    """The CSV text of `points`: the header line, then one line per point (lines end in CRLF, as RFC 4180)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    yield buffer.getvalue()
    for point in points:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow((_text(point.thing_id), _text(point.path), format_time(point.time), _cell(point.value),
                         point.revision))
        yield buffer.getvalue()
