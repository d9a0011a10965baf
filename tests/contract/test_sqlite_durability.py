"""An acknowledged commit survives `kill -9` of the process that made it (WAL, synchronous=NORMAL)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import twinhub
from tests.contract.helpers import create
from twinhub.store.sqlite import open_sqlite_store

ROOT = Path(__file__).resolve().parents[2]

# Commits from 64 concurrent tasks (so group commits of many writes are in flight when the kill lands)
# and prints each thing's number only after its commit returned.
CHILD = """
import asyncio, sys
from pathlib import Path
from tests.contract.helpers import create, unit
from twinhub.store.sqlite import open_sqlite_store

async def main(path):
    async with open_sqlite_store(path) as store:
        async def worker(first):
            for i in range(first, 10**9, 64):
                await store.commit(unit(create(f"org.twinhub.kill:{i}")))
                sys.stdout.write(f"{i}\\n")
                sys.stdout.flush()
        await asyncio.gather(*(worker(n) for n in range(64)))

asyncio.run(main(Path(sys.argv[1])))
"""

ACKNOWLEDGED_BEFORE_KILL = 3_000


def test_acknowledged_commits_survive_sigkill(tmp_path: Path) -> None:
    db_path = tmp_path / "things.db"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(Path(twinhub.__file__).parents[1])])}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(db_path)], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stderr is not None
    acknowledged: list[int] = []
    try:
        while len(acknowledged) < ACKNOWLEDGED_BEFORE_KILL:
            line = child.stdout.readline()
            assert line, f"the child ended early: {child.stderr.read()}"
            acknowledged.append(int(line))
        child.send_signal(signal.SIGKILL)
        # What the child printed before it died was acknowledged too.
        acknowledged.extend(int(line) for line in child.stdout.read().split())
    finally:
        child.kill()
        child.wait(timeout=10)
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL

    async def load_all() -> list[bool]:
        async with open_sqlite_store(db_path) as store:
            things = await asyncio.gather(*(store.load(f"org.twinhub.kill:{i}") for i in acknowledged))
        return [thing == create(f"org.twinhub.kill:{i}").thing for i, thing in zip(acknowledged, things,
                                                                                     strict=True)]

    assert all(asyncio.run(load_all()))
