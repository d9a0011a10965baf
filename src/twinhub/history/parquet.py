"""Points as an Apache Parquet file (via pyarrow): columns thingId, path, time (UTC, microseconds), value, revision.

Parquet columns have one type, so `value` takes the type all the points share: int64, float64 (numbers mixing
integers and floats, when every integer is exact as a float), boolean or string. Anything else (mixed kinds,
integers beyond int64) is written as JSON text, and the file's metadata says so (`twinhub.value=json`), so no
value is silently changed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from twinhub.history.series import RecordedPoint, Scalar, scalar_json

__all__ = ["VALUE_ENCODING_KEY", "render_parquet", "value_column"]

VALUE_ENCODING_KEY = b"twinhub.value"
_INT64 = range(-(2**63), 2**63)
_EXACT_IN_FLOAT = range(-(2**53), 2**53 + 1)


def value_column(values: Sequence[Scalar]) -> tuple[pa.Array, str]:
    """The Arrow array of `values` and its encoding: `native` (one Parquet type) or `json`."""
    kinds = {bool if isinstance(v, bool) else int if isinstance(v, int) else type(v) for v in values}
    if kinds == {int} and all(v in _INT64 for v in values):
        return pa.array(values, type=pa.int64()), "native"
    if kinds <= {int, float} and float in kinds and all(isinstance(v, float) or v in _EXACT_IN_FLOAT
                                                        for v in values):
        return pa.array([float(v) for v in values], type=pa.float64()), "native"
    if kinds == {bool}:
        return pa.array(values, type=pa.bool_()), "native"
    if kinds == {str}:
        return pa.array(values, type=pa.string()), "native"
    if not values:
        return pa.array([], type=pa.string()), "native"
    return pa.array([scalar_json(v) for v in values], type=pa.string()), "json"


def render_parquet(points: Sequence[RecordedPoint]) -> bytes:
    """A Parquet file of `points`, in their order."""
    values, encoding = value_column([point.value for point in points])
    table = pa.table({
        "thingId": pa.array([point.thing_id for point in points], type=pa.string()),
        "path": pa.array([point.path for point in points], type=pa.string()),
        "time": pa.array([point.time for point in points], type=pa.timestamp("us", tz="UTC")),
        "value": values,
        "revision": pa.array([point.revision for point in points], type=pa.int64()),
    })
    table = table.replace_schema_metadata({VALUE_ENCODING_KEY: encoding.encode()})
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()
