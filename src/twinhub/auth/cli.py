"""`twinhub user add|passwd|remove|list`: the HTTP basic users in `<data_dir>/things.db`, and
`twinhub device add|remove|list`: the devices of the MQTT endpoint (PostgreSQL with store_url set).

    twinhub user add NAME [--password-stdin]      create (asks for the password twice, without echo)
    twinhub user passwd NAME [--password-stdin]   change the password of an existing user
    twinhub user remove NAME
    twinhub user list
    twinhub device add THING_ID                   register; prints a generated password, once
    twinhub device remove THING_ID
    twinhub device list

Each takes `--data-dir D` and `--config F` like `serve`. A user's password is never echoed or printed; a
device's generated one is printed once by `device add` (only its argon2 hash is stored).
Wire-up: `add_user_commands(subparsers)`, then `return args.handler(args)` for `args.command` "user" or
"device".
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from twinhub.auth.passwords import generate_password, hash_password, password_problem
from twinhub.config import Settings, SettingsError, load_settings
from twinhub.model.errors import TwinhubError
from twinhub.store.devices import DeviceIdInvalid, DeviceStore, validate_device_id
from twinhub.store.sqlite import DATABASE_FILE
from twinhub.store.sqlite.devices import SqliteDeviceStore
from twinhub.store.sqlite.users import SqliteUserStore
from twinhub.store.users import UsernameInvalid, validate_username

__all__ = ["DATABASE_FILE", "add_user_commands", "run_device_command", "run_user_command"]

Prompt = Callable[[str], str]


def add_user_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `user` with its subcommands; each sets `handler=run_user_command` on the parsed args."""
    user = subparsers.add_parser("user", help="manage the users of HTTP basic authentication")
    actions = user.add_subparsers(dest="user_command", required=True)

    def action(name: str, help_text: str, *, named: bool = True, password: bool = False) -> None:
        parser = actions.add_parser(name, help=help_text)
        if named:
            parser.add_argument("name", help="the username (the subject is nginx:<name>)")
        if password:
            parser.add_argument("--password-stdin", action="store_true",
                                help="read the password from the first line of standard input")
        parser.add_argument("--data-dir", type=Path, help="where the embedded store lives (env TWINHUB_DATA_DIR; "
                            f"default {Settings().data_dir}); with store_url set, the users live in PostgreSQL")
        parser.add_argument("--config", type=Path, help="a TOML settings file (env TWINHUB_CONFIG; default none)")
        parser.set_defaults(handler=run_user_command)

    action("add", "create a user", password=True)
    action("passwd", "change a user's password", password=True)
    action("remove", "delete a user")
    action("list", "list the usernames", named=False)

    device = subparsers.add_parser("device", help="manage the devices of the MQTT endpoint (serve --mqtt-port)")
    device_actions = device.add_subparsers(dest="device_command", required=True)
    for name, help_text, named in (("add", "register a device and print its generated password (once)", True),
                                   ("remove", "delete a device", True), ("list", "list the device ids", False)):
        parser = device_actions.add_parser(name, help=help_text)
        if named:
            parser.add_argument("thing_id", help="the device's thing id (its MQTT username; subject "
                                "device:<thing id>)")
        parser.add_argument("--data-dir", type=Path, help="where the embedded store lives (env TWINHUB_DATA_DIR; "
                            f"default {Settings().data_dir}); with store_url set, the devices live in PostgreSQL")
        parser.add_argument("--config", type=Path, help="a TOML settings file (env TWINHUB_CONFIG; default none)")
        parser.set_defaults(handler=run_device_command)


def run_user_command(args: argparse.Namespace, *, stdin: TextIO | None = None, stdout: TextIO | None = None,
                     stderr: TextIO | None = None, prompt: Prompt = getpass.getpass) -> int:
    """Run one `user` subcommand; 0 on success, 1 when it could not be done, 2 for bad settings or when the
    password input ended or was interrupted."""
    console = _Console(stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr, prompt)
    try:
        settings = load_settings(config_file=args.config, data_dir=args.data_dir)
    except SettingsError as exc:
        return console.fail(str(exc), status=2)
    if settings.store_url:
        try:
            return asyncio.run(_postgres(settings.store_url, args, console))
        except (UsernameInvalid, _PasswordRefused) as exc:
            return console.fail(str(exc))
        except _NoPassword as exc:
            return console.fail(str(exc), status=2)
        except TwinhubError as exc:
            return console.fail(f"cannot use the store: {exc.message}")
    path = Path(settings.data_dir) / DATABASE_FILE
    try:
        if args.user_command == "list":
            return _list(path, console)
        name = validate_username(args.name)
        if args.user_command == "remove":
            return _remove(path, name, console)
        return _set_password(path, name, console, create=args.user_command == "add",
                             from_stdin=args.password_stdin)
    except (UsernameInvalid, _PasswordRefused) as exc:
        return console.fail(str(exc))
    except _NoPassword as exc:
        return console.fail(str(exc), status=2)
    except (sqlite3.Error, OSError) as exc:
        return console.fail(f"cannot use the database {path}: {exc}")


class _PasswordRefused(ValueError):
    pass


class _NoPassword(Exception):
    """The input ended or was interrupted (Ctrl-D, Ctrl-C) before a password was given: exit status 2."""


class _Console:
    def __init__(self, stdin: TextIO, stdout: TextIO, stderr: TextIO, prompt: Prompt) -> None:
        self.stdin, self.stdout, self.stderr, self.prompt = stdin, stdout, stderr, prompt

    def say(self, text: str) -> int:
        print(text, file=self.stdout)
        return 0

    def fail(self, text: str, *, status: int = 1) -> int:
        print(f"twinhub: {text}", file=self.stderr)
        return status

    def _ask(self, text: str) -> str:
        try:
            return self.prompt(text)
        except (EOFError, KeyboardInterrupt) as exc:
            print(file=self.stderr)  # the prompt's line was left open
            reason = "no password given (the input ended)" if isinstance(exc, EOFError) else "interrupted"
            raise _NoPassword(f"{reason}; nothing changed") from None

    def password(self, from_stdin: bool) -> str:
        if from_stdin:
            line = self.stdin.readline()
            if not line:
                raise _NoPassword("no password on standard input (it ended); nothing changed")
            password = line.removesuffix("\n").removesuffix("\r")
        else:
            password = self._ask("Password: ")
            if self._ask("Repeat the password: ") != password:
                raise _PasswordRefused("the passwords differ; nothing changed")
        if (problem := password_problem(password)) is not None:
            raise _PasswordRefused(f"{problem}; nothing changed")
        return password


def _list(path: Path, console: _Console) -> int:
    # A missing database has no users; listing must not create it.
    for name in SqliteUserStore(path).list_users_sync() if path.exists() else []:
        console.say(name)
    return 0


def _remove(path: Path, name: str, console: _Console) -> int:
    if not path.exists() or not SqliteUserStore(path).remove_user_sync(name):
        return console.fail(f"no user {name!r}")
    return console.say(f"removed the user {name!r}")


def _set_password(path: Path, name: str, console: _Console, *, create: bool, from_stdin: bool) -> int:
    exists = path.exists() and SqliteUserStore(path).get_password_hash_sync(name) is not None
    if create and exists:
        return console.fail(f"the user {name!r} exists already (use 'twinhub user passwd')")
    if not create and not exists:
        return console.fail(f"no user {name!r}")
    password_hash = hash_password(console.password(from_stdin))
    path.parent.mkdir(parents=True, exist_ok=True)
    store = SqliteUserStore(path)
    write = store.add_user_sync if create else store.change_password_hash_sync
    if not write(name, password_hash):
        return console.fail(f"the user {name!r} was changed meanwhile; nothing done")
    return console.say(f"added the user {name!r}" if create else f"changed the password of the user {name!r}")


async def _postgres(dsn: str, args: argparse.Namespace, console: _Console) -> int:
    """The same commands on the users stored in PostgreSQL (`store_url`)."""
    from twinhub.store.postgres import PostgresUserStore, open_postgres_store

    async with open_postgres_store(dsn, pool_size=1) as store:
        users = PostgresUserStore(store)
        if args.user_command == "list":
            for name in await users.list_users():
                console.say(name)
            return 0
        name = validate_username(args.name)
        if args.user_command == "remove":
            if not await users.remove_user(name):
                return console.fail(f"no user {name!r}")
            return console.say(f"removed the user {name!r}")
        create = args.user_command == "add"
        exists = await users.get_password_hash(name) is not None
        if create and exists:
            return console.fail(f"the user {name!r} exists already (use 'twinhub user passwd')")
        if not create and not exists:
            return console.fail(f"no user {name!r}")
        password_hash = hash_password(console.password(args.password_stdin))
        write = users.add_user if create else users.change_password_hash
        if not await write(name, password_hash):
            return console.fail(f"the user {name!r} was changed meanwhile; nothing done")
        return console.say(f"added the user {name!r}" if create else f"changed the password of the user {name!r}")


def run_device_command(args: argparse.Namespace, *, stdout: TextIO | None = None,
                       stderr: TextIO | None = None) -> int:
    """Run one `device` subcommand; 0 on success, 1 when it could not be done, 2 for bad settings."""
    console = _Console(sys.stdin, stdout or sys.stdout, stderr or sys.stderr, getpass.getpass)
    try:
        settings = load_settings(config_file=args.config, data_dir=args.data_dir)
    except SettingsError as exc:
        return console.fail(str(exc), status=2)
    try:
        if settings.store_url:
            return asyncio.run(_postgres_devices(settings.store_url, args, console))
        path = Path(settings.data_dir) / DATABASE_FILE
        if args.device_command == "list":
            return _devices_listed(SqliteDeviceStore(path).list_devices_sync() if path.exists() else [], console)
        device_id = validate_device_id(args.thing_id)
        if args.device_command == "remove":
            removed = path.exists() and SqliteDeviceStore(path).remove_device_sync(device_id)
            return _device_removed(device_id, removed, console)
        path.parent.mkdir(parents=True, exist_ok=True)
        password = generate_password()
        added = SqliteDeviceStore(path).add_device_sync(device_id, hash_password(password))
        return _device_added(device_id, password if added else None, console)
    except DeviceIdInvalid as exc:
        return console.fail(str(exc))
    except TwinhubError as exc:
        return console.fail(f"cannot use the store: {exc.message}")
    except (sqlite3.Error, OSError) as exc:
        return console.fail(f"cannot use the database: {exc}")


async def _postgres_devices(dsn: str, args: argparse.Namespace, console: _Console) -> int:
    from twinhub.store.postgres import PostgresDeviceStore, open_postgres_store

    async with open_postgres_store(dsn, pool_size=1) as store:
        devices: DeviceStore = PostgresDeviceStore(store)
        if args.device_command == "list":
            return _devices_listed(await devices.list_devices(), console)
        device_id = validate_device_id(args.thing_id)
        if args.device_command == "remove":
            return _device_removed(device_id, await devices.remove_device(device_id), console)
        password = generate_password()
        added = await devices.add_device(device_id, hash_password(password))
        return _device_added(device_id, password if added else None, console)


def _devices_listed(device_ids: list[str], console: _Console) -> int:
    for device_id in device_ids:
        console.say(device_id)
    return 0


def _device_removed(device_id: str, removed: bool, console: _Console) -> int:
    if not removed:
        return console.fail(f"no device {device_id!r}")
    return console.say(f"removed the device {device_id!r}")


def _device_added(device_id: str, password: str | None, console: _Console) -> int:
    if password is None:
        return console.fail(f"the device {device_id!r} exists already (remove it first to issue new credentials)")
    console.say(f"added the device {device_id!r}; it authenticates as the subject device:{device_id}")
    console.say(f"  username: {device_id}")
    console.say(f"  password: {password}")
    return console.say("The password is shown only now: twinhub stores its hash.")
