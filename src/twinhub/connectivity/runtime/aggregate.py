"""One connection's status, metrics and logs across the workers that run it, as Ditto aggregates those of
a connection's clients: pure functions of each worker's answer (see `operator`).

- status: `clientStatus`, `sourceStatus` and `targetStatus` concatenated (each entry names its worker's
  client); `liveStatus` open when any client is open, failed when none is and one failed, else closed;
  `connectedSince` the earliest of the open clients.
- metrics: every count summed per measurement (direction, type, success or failure, and per address),
  `lastMessageAt` the latest, `containsFailures` when any worker has failures.
- logs: the entries of all workers by timestamp, the latest `max_entries`; `enabledSince` the earliest and
  `enabledUntil` the latest of the workers that log. A worker's answer holds its latest entries within a
  size (`bounded_logs`): an answer must travel whole.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from twinhub.model.types import JsonObject, JsonValue

__all__ = ["bounded_logs", "merged_logs", "merged_metrics", "merged_status"]


def _entries(answer: JsonObject, key: str) -> list[JsonValue]:
    value = answer.get(key)
    return list(value) if isinstance(value, list) else []


def merged_status(answers: Sequence[JsonObject]) -> JsonObject:
    """The workers' status answers ({"liveStatus", "connectedSince", "clientStatus", "sourceStatus",
    "targetStatus"}) as one."""
    statuses = {answer.get("liveStatus") for answer in answers}
    live = "open" if "open" in statuses else "failed" if "failed" in statuses else "closed"
    since = sorted(value for answer in answers if answer.get("liveStatus") == "open"
                   and isinstance(value := answer.get("connectedSince"), str))
    return {"liveStatus": live, "connectedSince": since[0] if since else None,
            **{key: [entry for answer in answers for entry in _entries(answer, key)]
               for key in ("clientStatus", "sourceStatus", "targetStatus")}}


def _latest(left: JsonValue, right: JsonValue) -> JsonValue:
    """The later of two ISO timestamps of one format (or null)."""
    if not isinstance(left, str):
        return right if isinstance(right, str) else None
    return right if isinstance(right, str) and right > left else left


def _summed(left: JsonValue, right: JsonValue) -> JsonValue:
    """Two renderings of one measurement tree added up: counts summed, `lastMessageAt` the latest."""
    if isinstance(left, dict) and isinstance(right, dict):
        merged: JsonObject = dict(left)
        for key, value in right.items():
            if key == "lastMessageAt":
                merged[key] = _latest(left.get(key), value)
            else:
                merged[key] = _summed(left[key], value) if key in left else value
        return merged
    if isinstance(left, int) and isinstance(right, int) and not isinstance(left, bool) \
            and not isinstance(right, bool):
        return left + right
    return left


def merged_metrics(connection_id: str, answers: Sequence[JsonObject]) -> JsonObject:
    """The workers' `/metrics` bodies as one."""
    result: JsonObject = {"connectionId": connection_id,
                          "containsFailures": any(answer.get("containsFailures") is True for answer in answers)}
    for key in ("connectionMetrics", "sourceMetrics", "targetMetrics"):
        total: JsonValue = None
        for answer in answers:
            part = answer.get(key)
            if isinstance(part, dict):
                total = part if total is None else _summed(total, part)
        result[key] = total if total is not None else (
            {"inbound": {}, "outbound": {}} if key == "connectionMetrics" else {"addressMetrics": {}})
    return result


def merged_logs(connection_id: str, answers: Sequence[JsonObject], *, max_entries: int) -> JsonObject:
    """The workers' `/logs` bodies as one: the latest `max_entries` entries, oldest first."""
    entries: list[JsonValue] = [entry for answer in answers for entry in _entries(answer, "connectionLogs")
                                if isinstance(entry, dict)]
    entries.sort(key=lambda entry: str(entry.get("timestamp", "")) if isinstance(entry, dict) else "")
    body: JsonObject = {"connectionId": connection_id, "connectionLogs": entries[-max_entries:] if max_entries else []}
    since = [value for answer in answers if isinstance(value := answer.get("enabledSince"), str)]
    until = [value for answer in answers if isinstance(value := answer.get("enabledUntil"), str)]
    if since and until:
        body["enabledSince"], body["enabledUntil"] = min(since), max(until)
    return body


def bounded_logs(body: JsonObject, max_bytes: int) -> JsonObject:
    """`body` with its latest entries whose JSON takes at most `max_bytes`."""
    entries = body.get("connectionLogs")
    if not isinstance(entries, list):
        return body
    kept, size = 0, 0
    for entry in reversed(entries):
        size += len(json.dumps(entry))
        if size > max_bytes:
            break
        kept += 1
    return {**body, "connectionLogs": entries[len(entries) - kept:]}
