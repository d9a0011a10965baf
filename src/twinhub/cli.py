"""`twinhub` command line: `twinhub serve [--host H] [--port P] [--data-dir D] [--config F] [--dev]` and
`twinhub user add|passwd|remove|list` for the users of HTTP basic authentication."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from twinhub.config import SettingsError, load_settings


def _serve(args: argparse.Namespace) -> int:
    from granian import Granian
    from granian.constants import Interfaces, Loops

    try:
        settings = load_settings(config_file=args.config, host=args.host, port=args.port,
                                 data_dir=args.data_dir, dev_auth=True if args.dev else None,
                                 workers=args.workers)
    except SettingsError as exc:
        print(f"twinhub: {exc}", file=sys.stderr)
        return 2
    if settings.workers < 1:
        print("twinhub: --workers must be at least 1", file=sys.stderr)
        return 2
    if settings.workers > 1 and not (settings.store_url and settings.bus_url):
        print("twinhub: several workers need a shared store and bus: set store_url (PostgreSQL) and "
              "bus_url (NATS); the embedded store has one writer.", file=sys.stderr)
        return 2
    # The worker processes rebuild the same settings from the environment.
    os.environ.update(settings.to_environ())
    where = f"data in {Path(settings.data_dir).resolve()}" if not settings.store_url else "store on PostgreSQL"
    print(f"twinhub: serving the Ditto API v2 on http://{settings.host}:{settings.port}/api/2 ({where}, "
          f"{settings.workers} worker{'s' if settings.workers > 1 else ''})", flush=True)
    server = Granian(
        "twinhub.api.app:app_from_env",
        factory=True,
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        loop=Loops.uvloop if sys.platform != "win32" else Loops.asyncio,
        workers=settings.workers,
        workers_kill_timeout=settings.shutdown_timeout,
        log_access=False,
    )
    server.serve()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="twinhub", description="A Ditto-compatible digital twin platform.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP API server")
    serve.add_argument("--host", help="address to bind (env TWINHUB_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (env TWINHUB_PORT, default 8080)")
    serve.add_argument("--data-dir", type=Path, help="where the embedded store lives (env TWINHUB_DATA_DIR)")
    serve.add_argument("--config", type=Path, help="a TOML settings file (env TWINHUB_CONFIG)")
    serve.add_argument("--workers", type=int, help="worker processes (env TWINHUB_WORKERS; needs store_url "
                       "and bus_url when more than 1)")
    serve.add_argument("--dev", action="store_true",
                       help="INSECURE development authentication: any HTTP basic user is accepted")
    from twinhub.auth.cli import add_user_commands  # here: the server's main process never needs it

    add_user_commands(commands)
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    if args.command == "user":
        status: int = args.handler(args)
        return status
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
