from __future__ import annotations

import argparse
import io
from collections.abc import Callable
from pathlib import Path

import pytest

from twinhub.auth.cli import add_user_commands
from twinhub.auth.passwords import verify_password
from twinhub.store.sqlite.users import SqliteUserStore

SECRET = "hunter2-very-secret"


class Run:
    """Parses and runs `twinhub user ...` against a temporary data directory, capturing the output."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        parser = argparse.ArgumentParser(prog="twinhub")
        add_user_commands(parser.add_subparsers(dest="command", required=True))
        self.parser = parser
        self.stdout = io.StringIO()
        self.stderr = io.StringIO()
        self.prompts: list[str] = []

    def __call__(self, *argv: str, stdin: str = "", answers: tuple[str, ...] = ()) -> int:
        args = self.parser.parse_args(["user", *argv, "--data-dir", str(self.data_dir)])
        replies = iter(answers)

        def prompt(text: str) -> str:
            self.prompts.append(text)
            return next(replies)

        handler: Callable[..., int] = args.handler
        return handler(args, stdin=io.StringIO(stdin), stdout=self.stdout, stderr=self.stderr, prompt=prompt)

    @property
    def store(self) -> SqliteUserStore:
        return SqliteUserStore(self.data_dir / "things.db")


@pytest.fixture
def run(tmp_path: Path) -> Run:
    return Run(tmp_path / "data")


def test_add_with_password_stdin_creates_the_database(run: Run) -> None:
    assert run("add", "alice", "--password-stdin", stdin=SECRET + "\n") == 0
    password_hash = run.store.get_password_hash_sync("alice")
    assert password_hash is not None and verify_password(password_hash, SECRET)
    assert "added the user 'alice'" in run.stdout.getvalue()


def test_add_prompts_twice_without_echo(run: Run) -> None:
    assert run("add", "bob", answers=(SECRET, SECRET)) == 0
    assert run.prompts == ["Password: ", "Repeat the password: "]
    password_hash = run.store.get_password_hash_sync("bob")
    assert password_hash is not None and verify_password(password_hash, SECRET)


def test_passwords_never_reach_the_output(run: Run) -> None:
    run("add", "alice", "--password-stdin", stdin=SECRET)
    run("passwd", "alice", answers=(SECRET + "2", SECRET + "2"))
    run("add", "alice", "--password-stdin", stdin=SECRET)
    run("add", "carol", answers=(SECRET, "typo"))
    assert SECRET not in run.stdout.getvalue() + run.stderr.getvalue()


def test_prompted_passwords_must_match(run: Run) -> None:
    assert run("add", "bob", answers=(SECRET, SECRET + "x")) == 1
    assert "differ" in run.stderr.getvalue()
    assert not (run.data_dir / "things.db").exists()


def test_empty_password_is_refused(run: Run) -> None:
    assert run("add", "bob", "--password-stdin", stdin="\n") == 1
    assert "empty" in run.stderr.getvalue()


def test_add_refuses_an_existing_user(run: Run) -> None:
    run("add", "alice", "--password-stdin", stdin=SECRET)
    assert run("add", "alice", "--password-stdin", stdin="other") == 1
    assert "exists already" in run.stderr.getvalue()
    password_hash = run.store.get_password_hash_sync("alice")
    assert password_hash is not None and verify_password(password_hash, SECRET)


def test_passwd_changes_an_existing_user_only(run: Run) -> None:
    assert run("passwd", "alice", "--password-stdin", stdin=SECRET) == 1
    assert "no user 'alice'" in run.stderr.getvalue()
    assert not (run.data_dir / "things.db").exists()
    run("add", "alice", "--password-stdin", stdin=SECRET)
    assert run("passwd", "alice", "--password-stdin", stdin="new-password\r\n") == 0
    password_hash = run.store.get_password_hash_sync("alice")
    assert password_hash is not None and verify_password(password_hash, "new-password")


def test_remove_and_list(run: Run) -> None:
    assert run("list") == 0
    assert run.stdout.getvalue() == ""
    assert not (run.data_dir / "things.db").exists()  # listing creates nothing
    for name in ("carol", "alice", "bob"):
        run("add", name, "--password-stdin", stdin=SECRET)
    run.stdout.truncate(0)
    run.stdout.seek(0)
    assert run("list") == 0
    assert run.stdout.getvalue() == "alice\nbob\ncarol\n"
    assert run("remove", "bob") == 0
    assert run("remove", "bob") == 1
    assert run.store.list_users_sync() == ["alice", "carol"]


@pytest.mark.parametrize("name", ["a:b", "", "tab\tname"])
def test_invalid_usernames_are_refused(run: Run, name: str) -> None:
    assert run("add", name, "--password-stdin", stdin=SECRET) == 1
    assert "invalid username" in run.stderr.getvalue()


def test_bad_config_file_is_exit_2(run: Run, tmp_path: Path) -> None:
    args = run.parser.parse_args(["user", "list", "--config", str(tmp_path / "missing.toml")])
    assert args.handler(args, stderr=run.stderr) == 2
    assert "cannot read config file" in run.stderr.getvalue()
