"""`twinhub simulate`: N devices publishing JSON telemetry to an MQTT broker, with a progress line on stderr.

    twinhub simulate --devices 100 --rate 50 --duration 60 --broker mqtt://user:pw@localhost:1883
    twinhub simulate --count 1000 --qos 0 --malformed 0.05 --duplicate 0.01 --seed 7

Each message is one device's reading, `{"temperature": 21.37, "humidity": 48.2, "battery": 87.31,
"counter": 1204}`, on `devices/<thingId>/telemetry` (`--topic` changes the template). Runs until `--count`
messages were sent, `--duration` seconds passed, or Ctrl-C; then prints a summary. A value that cannot work
is one line on stderr and exit status 2; a broker that cannot be reached or refuses, too.
Wire-up: `add_simulate_command(subparsers)`, then `return args.handler(args)` for `args.command == "simulate"`.
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
import threading
from typing import TextIO

from twinhub.connectivity.simulate.fleet import DEFAULT_TOPIC, Faults, Fleet, FleetInvalid
from twinhub.connectivity.simulate.publisher import (
    DEFAULT_WINDOW,
    Broker,
    SimulationFailed,
    SimulationOptions,
    Stats,
    simulate,
)

__all__ = ["add_simulate_command", "run_simulate"]

DEFAULT_BROKER = "mqtt://127.0.0.1:1883"
MAX_DEVICES = 1_000_000
MAX_RATE = 1_000_000.0


def add_simulate_command(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `simulate`; it sets `handler=run_simulate` on the parsed args. Values are checked by the handler,
    so that a bad one is one line, as every other failure of the command line."""
    parser = subparsers.add_parser("simulate", help="simulate a fleet of devices publishing telemetry over MQTT",
                                   description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--broker", default=DEFAULT_BROKER,
                        help=f"mqtt://[user:password@]host[:port] or mqtts://... (default {DEFAULT_BROKER})")
    parser.add_argument("--devices", default="10", help="simulated devices (default 10)")
    parser.add_argument("--rate", default="10", help="messages per second, all devices together (default 10)")
    parser.add_argument("--duration", help="seconds to run (default: until --count or Ctrl-C)")
    parser.add_argument("--count", help="messages to send (default: until --duration or Ctrl-C)")
    parser.add_argument("--qos", default="1", help="MQTT QoS, 0 or 1 (default 1)")
    parser.add_argument("--mqtt5", action="store_true", help="speak MQTT 5 (default 3.1.1)")
    parser.add_argument("--topic", default=DEFAULT_TOPIC,
                        help="topic template with {thingId}, {namespace}, {name} (default %(default)s)")
    parser.add_argument("--namespace", default="org.twinhub.sim",
                        help="the things' namespace: ids are <namespace>:device-<n> (default %(default)s)")
    parser.add_argument("--client-id", default="", help="the MQTT client id (default twinhub-sim-<random>)")
    parser.add_argument("--seed", help="seed for the readings and faults (default: different each run)")
    parser.add_argument("--payload", default="flat",
                        help="flat: the reading as a JSON object (for the device endpoint); ditto: a Ditto Protocol "
                             "merge command (for a connection with the Ditto mapper) (default flat)")
    parser.add_argument("--stamp", action="store_true",
                        help="add the send time (seconds since the epoch) as \"sentAt\" to each reading")
    for fault, what in (("dropout", "a device falls silent for a while"),
                        ("malformed", "a payload is not a JSON object"),
                        ("out-of-range", "a value is impossible for its sensor"),
                        ("duplicate", "a message is sent twice")):
        parser.add_argument(f"--{fault}", default="0", metavar="P",
                            help=f"probability per reading that {what} (default 0)")
    parser.add_argument("--quiet", action="store_true", help="no progress line, only the summary")
    parser.set_defaults(handler=run_simulate)


def _number(args: argparse.Namespace, name: str, *, whole: bool, low: float, high: float) -> float | None:
    text = getattr(args, name.replace("-", "_"))
    if text is None:
        return None
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        value = math.nan
    if not low <= value <= high:  # also NaN
        kind = "a whole number" if whole else "a number"
        raise FleetInvalid(f"--{name} must be {kind} from {low:g} to {high:g}, not {text}")
    return value


def _options(args: argparse.Namespace) -> tuple[Fleet, SimulationOptions]:
    devices = int(_number(args, "devices", whole=True, low=1, high=MAX_DEVICES) or 0)
    rate = _number(args, "rate", whole=False, low=0.001, high=MAX_RATE) or 0.0
    duration = _number(args, "duration", whole=False, low=0.001, high=365 * 86_400)
    count = _number(args, "count", whole=True, low=1, high=10**12)
    qos = int(_number(args, "qos", whole=True, low=0, high=1) or 0)
    seed = _number(args, "seed", whole=True, low=0, high=2**63)
    faults = Faults(*(_number(args, name, whole=False, low=0, high=1) or 0.0
                      for name in ("dropout", "malformed", "out-of-range", "duplicate")))
    fleet = Fleet(devices, namespace=args.namespace, topic=args.topic, faults=faults,
                  seed=None if seed is None else int(seed), stamp=args.stamp, payload_format=args.payload)
    options = SimulationOptions(Broker.parse(args.broker), rate, qos=qos,
                                count=None if count is None else int(count), duration=duration, mqtt5=args.mqtt5,
                                client_id=args.client_id, window=DEFAULT_WINDOW)
    return fleet, options


def run_simulate(args: argparse.Namespace, *, stderr: TextIO | None = None,
                 stop: threading.Event | None = None) -> int:
    """Run `twinhub simulate`; the exit status (0 also after Ctrl-C; 1 when messages went unacknowledged)."""
    err = stderr or sys.stderr
    try:
        fleet, options = _options(args)
    except (FleetInvalid, SimulationFailed) as exc:
        print(f"twinhub simulate: {exc}", file=err)
        return 2
    stop = stop or threading.Event()
    # Ctrl-C ends the run cleanly (acknowledgements awaited, summary printed); signals go to the main thread.
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGINT) if in_main else None
    if in_main:
        signal.signal(signal.SIGINT, lambda signum, frame: stop.set())
    tty = err.isatty()

    def progress(stats: Stats) -> None:
        if not args.quiet:
            print(("\r" if tty else "") + stats.line(), end="" if tty else "\n", file=err, flush=True)

    try:
        stats = simulate(fleet, options, stop=stop, progress=progress)
    except SimulationFailed as exc:
        print(f"twinhub simulate: {exc}", file=err)
        return 2
    finally:
        if in_main and previous is not None:
            signal.signal(signal.SIGINT, previous)
    if tty and not args.quiet:
        print(file=err)
    print(f"twinhub simulate: done: {stats.line()}", file=err)
    return 0 if stats.acked == stats.sent else 1

