"""The connectivity benchmark's Markdown report (its JSON is `connectivity.to_json`)."""

from __future__ import annotations

from pathlib import Path

from bench.connectivity import ConnectivityReport, Leg, PathRun, to_json
from bench.report import write_results


def _throughput_row(run: PathRun, floor: float) -> str:
    leg = run.throughput
    if leg is None:
        return f"| {run.name} | {run.store} | not measured: {run.skipped or 'see problems'} | | | | | |"
    ratio = f"{leg.per_s / floor:.3f}" if floor else "–"
    cpu = f"{leg.server_cpu_us:,.0f}" if leg.persisted >= 0 else "–"
    persisted = f"{leg.persisted:,}" if leg.persisted >= 0 else "–"
    sample = f" ({leg.arrived:,} events: session cut off)" if leg.events_cut_off else ""
    return (f"| {run.name} | {run.store} | {leg.per_s:,.0f} | {ratio} | {leg.sent:,} / {leg.acked:,} / "
            f"{persisted} | {leg.p50_ms:,.1f} / {leg.p99_ms:,.1f}{sample} | {leg.puback_p50_ms:,.1f} / "
            f"{leg.puback_p99_ms:,.1f} | {cpu} |")


def _latency_row(run: PathRun, floor: Leg | None) -> str:
    leg = run.latency
    if leg is None:
        return f"| {run.name} | not measured | | | |"
    versus = f"{leg.p50_ms / floor.p50_ms:.1f}× / {leg.p99_ms / floor.p99_ms:.1f}×" \
        if floor is not None and floor.p50_ms and floor.p99_ms else "–"
    return (f"| {run.name} | {leg.p50_ms:,.2f} / {leg.p90_ms:,.2f} / {leg.p99_ms:,.2f} / {leg.max_ms:,.1f} | "
            f"{leg.puback_p50_ms:,.2f} / {leg.puback_p99_ms:,.2f} | {versus} | {leg.arrived:,} of {leg.sent:,} |")


def to_markdown(report: ConnectivityReport) -> str:
    options = report.options
    floor_run = report.floor
    floor_rate = floor_run.throughput.per_s if floor_run and floor_run.throughput else 0.0
    runs = ([floor_run] if floor_run else []) + report.runs
    lines = [
        f"# Connectivity benchmark — {report.started_at}",
        "",
        f"Commit `{report.machine.git_commit}`, {report.machine.cpus_usable} CPUs ({report.machine.cpu_model}), "
        f"Python {report.machine.python}, Mosquitto {report.mosquitto}; the machine was "
        f"{report.busy_before_percent:.0f}% busy just before the run (others' work: read ratios, not rates).",
        "",
        f"{options.devices} simulated devices (`twinhub simulate`'s library, paho-mqtt, QoS 1, at most "
        f"{options.window} unacknowledged); throughput runs of {options.messages:,} messages as fast as the "
        f"publisher goes, latency runs of {options.latency_messages:,} at {options.rate:g} messages/s. See "
        "bench/README.md for what each figure means.",
        "",
    ]
    if report.problems:
        lines += ["**Problems**", "", *[f"- {problem}" for problem in report.problems], ""]
    lines += [
        "## Throughput",
        "",
        "| path | store | updates/s | ratio to floor | sent / acked / persisted | e2e p50 / p99 ms | "
        "PUBACK p50 / p99 ms | server CPU µs/update |",
        "|---|---|---:|---:|---|---|---|---:|",
        *[_throughput_row(run, floor_rate) for run in runs],
        "",
        "Through Mosquitto the publisher is done long before twinhub (the broker holds the backlog): the e2e "
        "latency of a throughput run is mostly time in that backlog, and its PUBACKs are the broker's. When this "
        "process, publishing flat out on the same cores, cannot read its event session fast enough, the server "
        "cuts the session off (bounded, as designed): the latency is then from the events that arrived.",
        "",
        "## Latency at a steady rate",
        "",
        "| path | e2e p50 / p90 / p99 / max ms | PUBACK p50 / p99 ms | ÷ floor (p50 / p99) | arrived |",
        "|---|---|---|---|---|",
        *[_latency_row(run, floor_run.latency if floor_run else None) for run in runs],
        "",
    ]
    return "\n".join(lines) + "\n"


def save_connectivity(report: ConnectivityReport, markdown: str) -> tuple[Path, Path]:
    """Write `bench/results/<date>-connectivity.md` and `.json`."""
    return write_results(f"{report.started_at[:10]}-connectivity", markdown, to_json(report))
