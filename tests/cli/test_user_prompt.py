"""`twinhub user add` at its password prompt, on a real terminal (a pseudo-terminal the process controls):
the end of input (Ctrl-D) and an interrupt (Ctrl-C) end it with one line and exit status 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import Terminal, run


@pytest.mark.parametrize(("keys", "message"), [(b"\x04", "twinhub: no password given (the input ended); nothing "
                                                         "changed"),
                                               (b"\x03", "twinhub: interrupted; nothing changed")])
def test_leaving_the_password_prompt_is_one_line(tmp_path: Path, keys: bytes, message: str) -> None:
    terminal = Terminal("user", "add", "carol", "--data-dir", str(tmp_path / "data"))
    terminal.expect("Password: ")
    terminal.type(keys)
    status, output = terminal.finish()
    assert status == 2, output
    assert "Traceback" not in output
    assert output.splitlines()[-1].strip() == message
    assert "carol" not in run("user", "list", "--data-dir", str(tmp_path / "data")).stdout


def test_leaving_the_repeated_password_prompt_is_one_line(tmp_path: Path) -> None:
    terminal = Terminal("user", "add", "carol", "--data-dir", str(tmp_path / "data"))
    terminal.expect("Password: ")
    terminal.type(b"a secret\n")
    terminal.expect("Repeat the password: ")
    terminal.type(b"\x03")
    status, output = terminal.finish()
    assert (status, output.splitlines()[-1].strip()) == (2, "twinhub: interrupted; nothing changed"), output
    assert "a secret" not in output


def test_the_prompt_still_adds_a_user(tmp_path: Path) -> None:
    terminal = Terminal("user", "add", "carol", "--data-dir", str(tmp_path / "data"))
    terminal.expect("Password: ")
    terminal.type(b"a secret\n")
    terminal.expect("Repeat the password: ")
    terminal.type(b"a secret\n")
    status, output = terminal.finish()
    assert status == 0, output
    assert "a secret" not in output  # not echoed
    assert run("user", "list", "--data-dir", str(tmp_path / "data")).stdout.split() == ["carol"]


def test_password_stdin_that_ends_at_once_is_one_line(tmp_path: Path) -> None:
    result = run("user", "add", "carol", "--password-stdin", "--data-dir", str(tmp_path / "data"), stdin="")
    assert result.status == 2
    assert result.error_line() == "twinhub: no password on standard input (it ended); nothing changed"
