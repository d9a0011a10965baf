"""The benchmarks' HTTP basic user: a real one, added to the store the server uses as an operator adds one
(`twinhub user add`), never dev mode's accept-anyone authentication, so that every figure includes what a
deployment pays for authentication (the server's verified-credentials cache, after one argon2 check)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import httpx

__all__ = ["AUTH_HEADER", "PASSWORD", "SUBJECT", "USER", "add_basic_user", "authorization", "sign_in"]

USER = "bench"
# Fixed, so that the wrk scripts can carry the header: the servers listen on loopback, on data of their own.
PASSWORD = "bench-password-not-secret"
SUBJECT = f"nginx:{USER}"  # what basic authentication makes of the user


def authorization(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


AUTH_HEADER = authorization(USER, PASSWORD)


def _user_command(action: str, data_dir: Path, password: str,
                  env: dict[str, str] | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "twinhub.cli", "user", action, USER, "--password-stdin",
                           "--data-dir", str(data_dir)], input=password + "\n", capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def add_basic_user(data_dir: Path, env: dict[str, str] | None = None, password: str = PASSWORD) -> str:
    """Make `bench` a user with `password` in the store the server of `data_dir` and `env` uses (embedded, or
    PostgreSQL with TWINHUB_STORE_URL): `twinhub user add`, or `user passwd` on a kept data set that has the
    user already. Returns the password; raises RuntimeError when neither works."""
    data_dir.mkdir(parents=True, exist_ok=True)
    done = _user_command("add", data_dir, password, env)
    if done.returncode != 0 and "exists already" in done.stderr:
        done = _user_command("passwd", data_dir, password, env)
    if done.returncode != 0:
        raise RuntimeError(f"twinhub user add {USER} failed ({done.returncode}): {done.stderr[-1500:]}")
    return password


def sign_in(base_url: str, *, workers: int = 1, authorization_header: str = AUTH_HEADER) -> None:
    """Authenticated requests, one after the other on new connections (10 per worker, so that each worker
    likely gets one), before any concurrent load: each worker checks the password once (argon2, a bounded
    number at a time: a burst of first requests is answered 429) and serves the rest from its cache of verified
    credentials, as it does for a client in steady state. Raises RuntimeError unless the user is accepted."""
    for _ in range(10 * workers):
        response = httpx.get(f"{base_url}/api/2/whoami", timeout=30,
                             headers={"Authorization": authorization_header, "Connection": "close"})
        if response.status_code != 200:
            raise RuntimeError(f"the basic user {USER} was answered {response.status_code}: {response.text[:300]}")
