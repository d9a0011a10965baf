"""The payload mapping benchmark: what one mapping call costs, JavaScript (V8 via mini-racer) beside the
`Ditto` mapper that only parses Ditto Protocol (the floor), in the same process and run.

Scenarios (each `--iterations` calls after a warm-up, one at a time, as a source maps its deliveries):
- **ditto-inbound** (floor): a Ditto Protocol command read by the `Ditto` mapper;
- **js-text-inbound**: the text example of Ditto's connectivity-mapping.md (JSON telemetry to a modify);
- **js-binary-inbound**: its binary example (5 bytes through a DataView);
- **js-outbound**: an event through the default outgoing script (Ditto Protocol text out).

Per scenario: calls per second and per-call latency p50/p99 (`perf_counter_ns` around each call). No broker,
no server: the mapping alone. Results: `bench/results/<date>-mapping-js.md` and `.json`.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench.machine import machine_info
from bench.report import write_results
from twinhub.connectivity.external import ExternalMessage
from twinhub.connectivity.mapping.base import MapperContext
from twinhub.connectivity.mapping.ditto import DittoMapper
from twinhub.connectivity.mapping.javascript import JavaScriptMapper
from twinhub.model.types import JsonObject
from twinhub.protocol import envelope_from_json

MAPPING_JS = "mapping-js"

# The examples of Ditto's documentation (connectivity-mapping.md), as printed there: "Text payload example" and
# "Binary payload example" (tests/unit/connectivity/mapping/test_javascript.py runs them too).
TEXT_SCRIPT = """
function mapToDittoProtocolMsg(headers, textPayload, bytePayload, contentType) {
  if (contentType !== 'application/json') return null;

  let jsonData = JSON.parse(textPayload);
  let value = {
    temperature: { properties: { value: parseFloat(jsonData.temp.split(" ")[0]) } },
    pressure: { properties: { value: jsonData.pres.value } },
    humidity: { properties: { value: jsonData.hum } }
  };

  return Ditto.buildDittoProtocolMsg(
    'org.eclipse.ditto', headers['device_id'],
    'things', 'twin', 'commands', 'modify',
    '/features', headers, value
  );
}
"""

BINARY_SCRIPT = """
function mapToDittoProtocolMsg(headers, textPayload, bytePayload, contentType) {
  if (contentType !== 'application/octet-stream') return null;

  let view = new DataView(bytePayload);
  let value = {
    temperature: { properties: { value: view.getInt16(0) / 100.0 } },
    pressure: { properties: { value: view.getInt16(2) } },
    humidity: { properties: { value: view.getUint8(4) } }
  };

  return Ditto.buildDittoProtocolMsg(
    'org.eclipse.ditto', headers['device_id'],
    'things', 'twin', 'commands', 'modify',
    '/features', headers, value
  );
}
"""

COMMAND: JsonObject = {"topic": "org.eclipse.ditto/sensor1/things/twin/commands/modify",
                       "headers": {"correlation-id": "c"}, "path": "/features/temperature/properties/value",
                       "value": 23.42}
EVENT: JsonObject = {"topic": "org.eclipse.ditto/sensor1/things/twin/events/modified",
                     "headers": {"correlation-id": "c"}, "path": "/features/temperature/properties/value",
                     "value": 23.42, "revision": 7}


@dataclass(frozen=True, slots=True)
class MappingJsOptions:
    iterations: int = 5000
    warmup: int = 500


@dataclass(frozen=True, slots=True)
class Row:
    scenario: str
    calls: int
    calls_per_s: float
    p50_us: float
    p99_us: float


@dataclass(slots=True)
class MappingJsReport:
    started_at: str
    options: MappingJsOptions
    machine: dict[str, Any]
    rows: list[Row] = field(default_factory=list)
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)  # at the end: how busy the shared machine was
    problems: list[str] = field(default_factory=list)
    setup_failed: bool = False


def _measure(name: str, call: Callable[[], object], options: MappingJsOptions) -> Row:
    for _ in range(options.warmup):
        call()
    latencies: list[int] = []
    started = time.perf_counter_ns()
    for _ in range(options.iterations):
        before = time.perf_counter_ns()
        call()
        latencies.append(time.perf_counter_ns() - before)
    elapsed = (time.perf_counter_ns() - started) / 1e9
    quantiles = statistics.quantiles(latencies, n=100, method="inclusive")
    return Row(name, options.iterations, options.iterations / elapsed, quantiles[49] / 1000, quantiles[98] / 1000)


def run(options: MappingJsOptions) -> MappingJsReport:
    report = MappingJsReport(datetime.now(UTC).isoformat(timespec="seconds"), options, machine_info().to_json())
    context = MapperContext("bench", "js", {})
    text = JavaScriptMapper(MapperContext("bench", "js-text", {"incomingScript": TEXT_SCRIPT}))
    binary = JavaScriptMapper(MapperContext("bench", "js-binary", {"incomingScript": BINARY_SCRIPT}))
    outgoing = JavaScriptMapper(context)
    try:
        ditto_message = ExternalMessage(orjson.dumps(COMMAND), {"content-type": "application/vnd.eclipse.ditto+json"})
        telemetry = '{"temp": "23.42 °C", "hum": 78, "pres": {"value": 760, "unit": "mmHg"}}'.encode()
        text_message = ExternalMessage(telemetry, {"content-type": "application/json", "device_id": "sensor1"})
        binary_message = ExternalMessage(bytes.fromhex("09EF03F72A"), {"content-type": "application/octet-stream",
                                                                        "device_id": "sensor1"})
        event = envelope_from_json(EVENT)
        scenarios: list[tuple[str, Callable[[], object]]] = [
            ("ditto-inbound", lambda: DittoMapper().map_inbound(ditto_message)),
            ("js-text-inbound", lambda: text.map_inbound(text_message)),
            ("js-binary-inbound", lambda: binary.map_inbound(binary_message)),
            ("js-outbound", lambda: outgoing.map_outbound(event)),
        ]
        for name, call in scenarios:
            try:
                report.rows.append(_measure(name, call, options))
            except Exception as error:  # a benchmark reports what failed and goes on
                report.problems.append(f"{name}: {type(error).__name__}: {error}")
    finally:
        for mapper in (text, binary, outgoing):
            mapper.close()
    report.load_average = os.getloadavg()
    return report


def to_markdown(report: MappingJsReport) -> str:
    floor = next((row for row in report.rows if row.scenario == "ditto-inbound"), None)
    lines = [f"# Payload mapping: JavaScript beside the Ditto mapper ({report.started_at})", "",
             f"{report.options.iterations} calls per scenario after {report.options.warmup} unmeasured, one at a "
             f"time, in one process; CPU: {report.machine.get('cpu_model')}, {report.machine.get('cpus_usable')} "
             f"usable core(s); load average at the end {', '.join(f'{load:.1f}' for load in report.load_average)} "
             f"(other processes share the machine: the p99 carries their scheduling); commit "
             f"{report.machine.get('git_commit')}.", "",
             "| scenario | calls/s | p50 µs | p99 µs | × floor (p50) |", "|---|---:|---:|---:|---:|"]
    for row in report.rows:
        ratio = f"{row.p50_us / floor.p50_us:.1f}" if floor is not None and floor.p50_us else "n/a"
        lines.append(f"| {row.scenario} | {row.calls_per_s:,.0f} | {row.p50_us:,.1f} | {row.p99_us:,.1f} | {ratio} |")
    if report.problems:
        lines += ["", "Problems:", *[f"- {problem}" for problem in report.problems]]
    return "\n".join(lines) + "\n"


def to_json(report: MappingJsReport) -> dict[str, Any]:
    return {"benchmark": MAPPING_JS, "started_at": report.started_at, "options": asdict(report.options),
            "machine": report.machine, "load_average": list(report.load_average),
            "rows": [asdict(row) for row in report.rows], "problems": report.problems}


def save(report: MappingJsReport, markdown: str) -> tuple[Path, Path]:
    return write_results(f"{report.started_at[:10]}-{MAPPING_JS}", markdown, to_json(report))


if __name__ == "__main__":
    result = run(MappingJsOptions())
    print(to_markdown(result))
