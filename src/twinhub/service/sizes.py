"""`document_bytes`: the estimated memory of a cached thing or policy, as the caches' byte bounds count it."""

from __future__ import annotations

import orjson

from twinhub.model.types import JsonObject

__all__ = ["ENTRY_BYTES", "PARSED_BYTES_PER_ENCODED_BYTE", "document_bytes"]

# Measured with tracemalloc on cached things (a thing or policy object, its datetimes and parsed document,
# the cache's own entry): ~1,400 bytes for a 144-byte document of the benchmark's shape, ~9 per encoded
# byte for larger ones (small dicts and strings cost more than their JSON).
ENTRY_BYTES = 600
PARSED_BYTES_PER_ENCODED_BYTE = 9


def document_bytes(doc: JsonObject) -> int:
    """The estimated memory of a cached entry holding the parsed `doc`."""
    return ENTRY_BYTES + PARSED_BYTES_PER_ENCODED_BYTE * len(orjson.dumps(doc))
