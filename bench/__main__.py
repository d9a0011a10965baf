"""The benchmark runner: `python -m bench [--duration S] [--connections C] [--only NAME]`.

Starts a fresh twinhub server on loopback, drives it with wrk, prints a Markdown report and writes it
(plus JSON) to `bench/results/`. Run from the repository root (it imports `tests.serving`). The search
benchmark over a million things (`--only search`) is opt-in: its data set takes minutes to generate once.
"""

from __future__ import annotations

import argparse
import shutil
import sys

from bench.http_things import FLOOR, SCENARIOS, Options, ServerStartError, run
from bench.report import save, save_search, search_to_markdown, to_markdown
from bench.search import SearchOptions
from bench.search import run as run_search

SEARCH = "search"


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text}")
    return value


def parse_args(argv: list[str] | None) -> tuple[Options | None, SearchOptions | None, bool]:
    """The options of the HTTP things benchmark and of the search benchmark (None: not to run), and
    whether to save the reports."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--duration", type=_positive, default=10, help="seconds of load per scenario (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load first (default 2)")
    parser.add_argument("--connections", type=_positive, default=64, help="wrk connections (default 64)")
    parser.add_argument("--threads", type=_positive, default=2, help="wrk threads (default 2)")
    parser.add_argument("--things", type=_positive, default=1000, help="things to preload (default 1000)")
    parser.add_argument("--only", action="append", choices=[FLOOR.name, *SCENARIOS, SEARCH], metavar="NAME",
                        help=f"run only this scenario (repeatable; the floor always runs): {', '.join(SCENARIOS)}; "
                             f"or '{SEARCH}', the search benchmark (opt-in, not part of the default run)")
    parser.add_argument("--search-things", type=_positive, default=1_000_000,
                        help="things in the search benchmark's data set (default 1,000,000)")
    parser.add_argument("--regenerate", action="store_true",
                        help="generate the search data set again even if a cached one fits")
    parser.add_argument("--no-save", action="store_true", help="print only; write nothing to bench/results/")
    parser.add_argument("--keep-data", action="store_true", help="keep the temporary data dir and server log")
    args = parser.parse_args(argv)
    if args.connections < args.threads:
        parser.error("--connections must be at least --threads")
    only = tuple(args.only or ())
    http_only = tuple(name for name in only if name != SEARCH)
    options = None
    if not only or http_only:
        options = Options(duration_s=args.duration, warmup_s=max(args.warmup, 0), connections=args.connections,
                          threads=args.threads, things=args.things, only=http_only, keep_data=args.keep_data)
    search = None
    if SEARCH in only:
        search = SearchOptions(duration_s=args.duration, warmup_s=max(args.warmup, 0), connections=args.connections,
                               threads=args.threads, things=args.search_things, regenerate=args.regenerate,
                               keep_data=args.keep_data)
    return options, search, not args.no_save


def _http_things(options: Options, persist: bool) -> int:
    try:
        report = run(options)
    except ServerStartError as error:
        print(f"bench: the server did not start, nothing measured:\n{error}", file=sys.stderr)
        return 2
    markdown = to_markdown(report)
    print(markdown)
    if report.setup_failed:
        print("bench: setup failed, nothing measured; bench/results/ left untouched", file=sys.stderr)
    elif persist:
        suffix = "".join(f"-{name}" for name in options.only)
        md_path, json_path = save(report, markdown, suffix=suffix)
        print(f"written: {md_path} and {json_path}")
    if report.problems:
        kept = f" (data dir and server log kept under {report.data_dir.rsplit('/', 1)[0]})"
        print(f"bench: {len(report.problems)} problem(s){kept}", file=sys.stderr)
    return 1 if report.problems else 0


def _search(options: SearchOptions, persist: bool) -> int:
    try:
        report = run_search(options)
    except ServerStartError as error:
        print(f"bench: the server did not start, nothing measured:\n{error}", file=sys.stderr)
        return 2
    markdown = search_to_markdown(report)
    print(markdown)
    if report.setup_failed:
        print("bench: search setup failed, nothing measured; bench/results/ left untouched", file=sys.stderr)
    elif persist:
        md_path, json_path = save_search(report, markdown)
        print(f"written: {md_path} and {json_path}")
    if report.problems:
        print(f"bench: {len(report.problems)} search problem(s) (server log kept: {report.log_path})",
              file=sys.stderr)
    return 1 if report.problems else 0


def main(argv: list[str] | None = None) -> int:
    options, search, persist = parse_args(argv)
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed; run scripts/ensure-wrk (or `make bench`)", file=sys.stderr)
        return 2
    status = 0
    if options is not None:
        status = max(status, _http_things(options, persist))
    if search is not None:
        status = max(status, _search(search, persist))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
