"""`twinhub` command line: `twinhub serve [--host H] [--port P] [--data-dir D] [--config F] [--workers N]
[--mqtt-port M] [--dev]`
(see `twinhub.launch`), `twinhub user add|passwd|remove|list` for the users of HTTP basic authentication,
`twinhub device add|remove|list` for the devices of the MQTT endpoint and `twinhub simulate` for a fleet of
simulated MQTT devices (see `twinhub.connectivity.simulate.cli`).
Every failure to start is one line on stderr and exit status 2; `twinhub --version` names the version."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from twinhub.config import Settings, SettingsError, load_settings


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("twinhub")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _serve(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(config_file=args.config, host=args.host, port=args.port,
                                 data_dir=args.data_dir, dev_auth=True if args.dev else None,
                                 workers=args.workers, mqtt_port=args.mqtt_port)
    except SettingsError as exc:
        return _fail(str(exc))
    if settings.workers < 1:
        return _fail("--workers must be at least 1")
    if settings.workers > 1 and not (settings.store_url and settings.bus_url):
        return _fail("several workers need a shared store and bus: set store_url (PostgreSQL) and bus_url (NATS); "
                     "the embedded store has one writer.")
    if settings.workers > 1 and settings.mqtt_port is not None:
        return _fail("the MQTT device endpoint (--mqtt-port) runs in a single worker: with several workers, "
                     "connect devices through an external MQTT broker and a connection")
    from twinhub.launch import StartupError, serve  # here: `twinhub user` never needs granian

    try:
        return serve(settings)
    except StartupError as exc:
        return _fail(str(exc))


def _fail(message: str) -> int:
    print(f"twinhub: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="twinhub", description="A Ditto-compatible digital twin platform.")
    parser.add_argument("--version", action="version", version=f"twinhub {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP API server")
    # Defaults are the settings' own (flags beat env vars, env vars beat the TOML file): said, not set, here.
    defaults = Settings()
    serve.add_argument("--host", help=f"address to bind (env TWINHUB_HOST; default {defaults.host})")
    serve.add_argument("--port", type=int, help=f"port, 0 for any free one (env TWINHUB_PORT; default {defaults.port})")
    serve.add_argument("--data-dir", type=Path, help="where the embedded store lives (env TWINHUB_DATA_DIR; default "
                       f"{defaults.data_dir})")
    serve.add_argument("--config", type=Path, help="a TOML settings file (env TWINHUB_CONFIG; default none)")
    serve.add_argument("--workers", type=int, help="worker processes, more than 1 only with store_url and bus_url "
                       f"(env TWINHUB_WORKERS; default {defaults.workers})")
    serve.add_argument("--mqtt-port", type=int, help="also run the MQTT device endpoint on this port, 0 for any free "
                       "one (env TWINHUB_MQTT_PORT; default off)")
    serve.add_argument("--dev", action="store_true",
                       help="INSECURE development authentication: any HTTP basic user is accepted (env "
                       "TWINHUB_DEV_AUTH; default off)")
    from twinhub.auth.cli import add_user_commands  # here: the server's main process never needs it

    add_user_commands(commands)
    from twinhub.connectivity.simulate.cli import add_simulate_command

    add_simulate_command(commands)
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    if args.command in ("user", "device", "simulate"):
        status: int = args.handler(args)
        return status
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
