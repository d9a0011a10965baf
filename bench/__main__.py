"""The benchmark runner: `python -m bench [--duration S] [--connections C] [--only NAME]`.

Starts a fresh twinhub server on loopback, drives it with wrk, prints a Markdown report and writes it
(plus JSON) to `bench/results/`. Run from the repository root. The search
benchmark over a million things (`--only search`) and the scale-out one on PostgreSQL + NATS with one and two
workers (`--only scale-out`) are opt-in: their data sets take minutes to generate once. `--only mapping-js`
measures payload mapping calls in process (JavaScript beside the Ditto mapper); it needs neither server nor wrk.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from bench.connectivity import ConnectivityOptions
from bench.connectivity import run as run_connectivity
from bench.connectivity_report import save_connectivity
from bench.connectivity_report import to_markdown as connectivity_to_markdown
from bench.console import CONSOLE, ConsoleOptions
from bench.console import run as run_console
from bench.console_report import save_console
from bench.console_report import to_markdown as console_to_markdown
from bench.history import HISTORY, HistoryOptions
from bench.history import run as run_history
from bench.history import save as save_history
from bench.history import to_markdown as history_to_markdown
from bench.http_things import FLOOR, SCENARIOS, Options, ServerStartError, run
from bench.mapping_js import MAPPING_JS, MappingJsOptions
from bench.mapping_js import run as run_mapping_js
from bench.mapping_js import save as save_mapping_js
from bench.mapping_js import to_markdown as mapping_js_to_markdown
from bench.realtime import RealtimeOptions
from bench.realtime import run as run_realtime
from bench.realtime import to_json as realtime_to_json
from bench.realtime import to_markdown as realtime_to_markdown
from bench.report import save, save_search, search_to_markdown, to_markdown, write_results
from bench.scale_data import DEFAULT_POSTGRES, NotOurs
from bench.scale_out import DEFAULT_NATS, ScaleOutOptions
from bench.scale_out import run as run_scale_out
from bench.scale_report import save_scale, scale_to_markdown
from bench.search import SearchOptions
from bench.search import run as run_search

SEARCH = "search"
SCALE_OUT = "scale-out"
REALTIME = "realtime"
CONNECTIVITY = "connectivity"
OPT_IN = (SEARCH, SCALE_OUT, REALTIME, MAPPING_JS, CONNECTIVITY, HISTORY, CONSOLE)


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text}")
    return value


def worker_counts(text: str) -> tuple[int, ...]:
    try:
        counts = tuple(int(part) for part in text.split(","))
    except ValueError:
        counts = ()
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"must be positive integers separated by commas, not {text}")
    return counts


@dataclass(frozen=True, slots=True)
class Runs:
    """What to run (None: not that benchmark), and whether to save the reports."""

    http: Options | None
    search: SearchOptions | None
    scale_out: ScaleOutOptions | None
    realtime: RealtimeOptions | None
    connectivity: ConnectivityOptions | None
    persist: bool
    mapping_js: MappingJsOptions | None = None
    history: HistoryOptions | None = None
    console: ConsoleOptions | None = None


def parse_args(argv: list[str] | None) -> Runs:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--duration", type=_positive, default=10, help="seconds of load per scenario (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load first (default 2)")
    parser.add_argument("--connections", type=_positive, default=64, help="wrk connections (default 64)")
    parser.add_argument("--threads", type=_positive, default=2, help="wrk threads (default 2)")
    parser.add_argument("--things", type=_positive, default=1000, help="things to preload (default 1000)")
    parser.add_argument("--only", action="append", choices=[FLOOR.name, *SCENARIOS, *OPT_IN], metavar="NAME",
                        help=f"run only this scenario (repeatable; the floor always runs): {', '.join(SCENARIOS)}; "
                             f"or '{SEARCH}', the search benchmark, '{SCALE_OUT}', the scale-out benchmark on "
                             f"PostgreSQL + NATS, '{REALTIME}', '{CONNECTIVITY}', MQTT telemetry into twins beside "
                             f"Mosquitto's relay rate, '{HISTORY}', history ingest and queries on both stores, or "
                             f"'{CONSOLE}', the web console in headless Chromium (all opt-in, not part of the default "
                             "run)")
    parser.add_argument("--search-things", type=_positive, default=1_000_000,
                        help="things in the search benchmark's data set (default 1,000,000)")
    parser.add_argument("--scale-things", type=_positive, default=1_000_000,
                        help="things in the scale-out benchmark's data set (default 1,000,000)")
    parser.add_argument("--workers", type=worker_counts, default=(1, 2),
                        help="the scale-out benchmark's worker counts, one server each (default 1,2)")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES,
                        help=f"the PostgreSQL server of the scale-out benchmark (default {DEFAULT_POSTGRES}); it "
                             "creates its own database there")
    parser.add_argument("--nats", default=DEFAULT_NATS,
                        help=f"the NATS server with JetStream of the scale-out benchmark (default {DEFAULT_NATS})")
    parser.add_argument("--subscribers", type=_positive, default=1000,
                        help="WebSocket subscribers of the realtime benchmark (default 1,000)")
    parser.add_argument("--rate", type=float, default=5.0,
                        help="updates per second in the realtime benchmark's latency run (default 5)")
    parser.add_argument("--routing-rate", type=float, default=1000.0,
                        help="updates per second in total in the realtime benchmark's routing run, one per-thing "
                             "subscriber each (default 1,000)")
    parser.add_argument("--messages", type=_positive, default=20_000,
                        help="MQTT messages per throughput run of the connectivity benchmark (default 20,000)")
    parser.add_argument("--devices", type=_positive, default=100,
                        help="simulated devices of the connectivity benchmark (default 100)")
    parser.add_argument("--history-points", type=_positive, default=10_000_000,
                        help="points of the history benchmark's bulk path (default 10,000,000)")
    parser.add_argument("--history-write-points", type=_positive, default=10_000_000,
                        help="points of the history benchmark's write path, 100 a command (default 10,000,000)")
    parser.add_argument("--history-stores", default="sqlite,postgres",
                        help="stores of the history benchmark, comma-separated (default sqlite,postgres)")
    parser.add_argument("--regenerate", action="store_true",
                        help="generate the search / scale-out data set again even if a cached one fits")
    parser.add_argument("--no-save", action="store_true", help="print only; write nothing to bench/results/")
    parser.add_argument("--keep-data", action="store_true", help="keep the temporary data dir and server log")
    args = parser.parse_args(argv)
    if args.connections < args.threads:
        parser.error("--connections must be at least --threads")
    only = tuple(args.only or ())
    http_only = tuple(name for name in only if name not in OPT_IN)
    options = None
    if not only or http_only:
        options = Options(duration_s=args.duration, warmup_s=max(args.warmup, 0), connections=args.connections,
                          threads=args.threads, things=args.things, only=http_only, keep_data=args.keep_data)
    search = None
    if SEARCH in only:
        search = SearchOptions(duration_s=args.duration, warmup_s=max(args.warmup, 0), connections=args.connections,
                               threads=args.threads, things=args.search_things, regenerate=args.regenerate,
                               keep_data=args.keep_data)
    scale_out = None
    if SCALE_OUT in only:
        scale_out = ScaleOutOptions(duration_s=args.duration, warmup_s=max(args.warmup, 0),
                                    connections=args.connections, threads=args.threads, things=args.scale_things,
                                    workers=args.workers, regenerate=args.regenerate, postgres_url=args.postgres,
                                    nats_url=args.nats, keep_data=args.keep_data)
    realtime = None
    if REALTIME in only:
        realtime = RealtimeOptions(subscribers=args.subscribers, rate=args.rate, routing_rate=args.routing_rate,
                                   duration_s=args.duration,
                                   warmup_s=max(args.warmup, 0), threads=args.threads, keep_data=args.keep_data)
    mapping_js = MappingJsOptions() if MAPPING_JS in only else None
    connectivity = None
    if CONNECTIVITY in only:
        connectivity = ConnectivityOptions(messages=args.messages, devices=args.devices, workers=args.workers,
                                           postgres_url=args.postgres, nats_url=args.nats, keep_data=args.keep_data)
    history = None
    if HISTORY in only:
        stores = tuple(name for name in args.history_stores.split(",") if name)
        if not stores or set(stores) - {"sqlite", "postgres"}:
            parser.error("--history-stores takes sqlite and/or postgres")
        history = HistoryOptions(stores=stores, bulk_points=args.history_points, write_points=args.history_write_points,
                                 postgres_url=args.postgres, keep_data=args.keep_data)
    console = ConsoleOptions(keep_data=args.keep_data) if CONSOLE in only else None
    return Runs(options, search, scale_out, realtime, connectivity, not args.no_save, mapping_js, history, console)


class _Report(Protocol):
    @property
    def setup_failed(self) -> bool: ...

    @property
    def problems(self) -> list[str]: ...


_R = TypeVar("_R", bound=_Report)


def _benchmark(name: str, run_it: Callable[[], _R], *, render: Callable[[_R], str],
               save_it: Callable[[_R, str], tuple[Path, Path]] | None, kept: Callable[[_R], str]) -> int:
    """Run one benchmark, print its report, save it (`save_it`; None: not to save) unless nothing was measured,
    say what went wrong and where its logs are kept (`kept`); the exit status."""
    try:
        report = run_it()
    except ServerStartError as error:
        print(f"bench: {name}: the server did not start, nothing measured:\n{error}", file=sys.stderr)
        return 2
    except NotOurs as error:
        print(f"bench: {name}: {error}; nothing measured", file=sys.stderr)
        return 2
    markdown = render(report)
    print(markdown)
    if report.setup_failed:
        print(f"bench: {name} setup failed, nothing measured; bench/results/ left untouched", file=sys.stderr)
    elif save_it is not None:
        md_path, json_path = save_it(report, markdown)
        print(f"written: {md_path} and {json_path}")
    if report.problems:
        print(f"bench: {len(report.problems)} {name} problem(s) ({kept(report)})", file=sys.stderr)
    return 1 if report.problems else 0


def _http_things(options: Options, persist: bool) -> int:
    suffix = "".join(f"-{name}" for name in options.only)
    return _benchmark("http-things", lambda: run(options), render=to_markdown,
                      save_it=(lambda report, markdown: save(report, markdown, suffix=suffix)) if persist else None,
                      kept=lambda report: f"data dir and server log kept under {report.data_dir.rsplit('/', 1)[0]}")


def _search(options: SearchOptions, persist: bool) -> int:
    return _benchmark("search", lambda: run_search(options), render=search_to_markdown,
                      save_it=save_search if persist else None,
                      kept=lambda report: f"server log kept: {report.log_path}")


def _scale_out(options: ScaleOutOptions, persist: bool) -> int:
    return _benchmark("scale-out", lambda: run_scale_out(options), render=scale_to_markdown,
                      save_it=save_scale if persist else None,
                      kept=lambda report: "server logs kept: " + ", ".join(
                          run.log_path for run in report.runs if run.log_path))


def _realtime(options: RealtimeOptions, persist: bool) -> int:
    def save_it(report: object, markdown: str) -> tuple[Path, Path]:
        started: str = report.started_at  # type: ignore[attr-defined]
        return write_results(f"{started[:10]}-realtime", markdown, realtime_to_json(report))  # type: ignore[arg-type]

    return _benchmark("realtime", lambda: run_realtime(options), render=realtime_to_markdown,
                      save_it=save_it if persist else None,
                      kept=lambda report: "data dir kept under /tmp (twinhub-bench-realtime-*)")


def _mapping_js(options: MappingJsOptions, persist: bool) -> int:
    return _benchmark(MAPPING_JS, lambda: run_mapping_js(options), render=mapping_js_to_markdown,
                      save_it=save_mapping_js if persist else None, kept=lambda report: "nothing kept")


def _connectivity(options: ConnectivityOptions, persist: bool) -> int:
    return _benchmark("connectivity", lambda: run_connectivity(options), render=connectivity_to_markdown,
                      save_it=save_connectivity if persist else None,
                      kept=lambda report: "server logs kept under /tmp (twinhub-bench-connectivity-*)")


def _history(options: HistoryOptions, persist: bool) -> int:
    return _benchmark(HISTORY, lambda: run_history(options), render=history_to_markdown,
                      save_it=save_history if persist else None, kept=lambda report: "nothing kept")


def _console(options: ConsoleOptions, persist: bool) -> int:
    return _benchmark(CONSOLE, lambda: run_console(options), render=console_to_markdown,
                      save_it=save_console if persist else None,
                      kept=lambda report: "data dir and server log kept under /tmp (twinhub-bench-console-*)")


def main(argv: list[str] | None = None) -> int:
    runs = parse_args(argv)
    status = 0
    if runs.mapping_js is not None:  # in process, no server and no wrk
        status = _mapping_js(runs.mapping_js, runs.persist)
    needs_wrk = runs.http or runs.search or runs.scale_out or runs.realtime
    if needs_wrk and shutil.which("wrk") is None:
        print("bench: wrk is not installed; run scripts/ensure-wrk (or `make bench`)", file=sys.stderr)
        return 2
    if runs.http is not None:
        status = max(status, _http_things(runs.http, runs.persist))
    if runs.search is not None:
        status = max(status, _search(runs.search, runs.persist))
    if runs.scale_out is not None:
        status = max(status, _scale_out(runs.scale_out, runs.persist))
    if runs.realtime is not None:
        status = max(status, _realtime(runs.realtime, runs.persist))
    if runs.connectivity is not None:
        status = max(status, _connectivity(runs.connectivity, runs.persist))
    if runs.history is not None:
        status = max(status, _history(runs.history, runs.persist))
    if runs.console is not None:  # a browser, no wrk
        status = max(status, _console(runs.console, runs.persist))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
