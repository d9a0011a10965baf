"""What the caches of one worker hold in memory: `python -m bench.cache_memory [--things N]`.

Creates N things of the HTTP benchmark's shape through the thing service on a fresh SQLite file, each with its
own default policy (as `PUT /api/2/things/{id}` without a policy makes), then empties the caches, reads every
thing once (as a GET does: the thing, its policy and the enforcer are cached) and prints the RSS that added per
thing, the caches' own estimate of it, and what one full garbage collection then takes. Reads only public
service APIs, so the same file measures an older commit too (`PYTHONPATH=<old checkout>/src:.`).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import tempfile
import time
from pathlib import Path

from twinhub.bus.inprocess import InProcessBus
from twinhub.model.commands import ThingCommand
from twinhub.service.policies import PolicyService
from twinhub.service.things import ThingService
from twinhub.store.sqlite import open_sqlite_store

SUBJECTS = ("nginx:bench",)
BATCH = 256


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def body(index: int) -> dict[str, object]:
    return {"attributes": {"manufacturer": "ACME", "serialNumber": f"SN-{index:06d}"},
            "features": {"f": {"properties": {"p": 0}}}}


async def measure(things_count: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as directory:
        bus = InProcessBus()
        async with open_sqlite_store(Path(directory) / "things.db") as store:
            size = things_count + 1
            policies = PolicyService(store, bus, cache_size=size, cache_bytes=1 << 40)
            things = ThingService(store, bus, policies, cache_size=size, cache_bytes=1 << 40)
            ids = [f"bench:thing-{index}" for index in range(things_count)]
            for start in range(0, things_count, BATCH):
                batch = ids[start:start + BATCH]
                await asyncio.gather(*(things.execute(ThingCommand("modify", thing_id, (), body(start + offset)),
                                                      SUBJECTS) for offset, thing_id in enumerate(batch)))
            things.forget_all()
            policies.forget_all()
            gc.collect()
            before = rss_bytes()
            for thing_id in ids:
                await things.retrieve(thing_id, (), SUBJECTS)
            gc.collect()
            after = rss_bytes()
            started = time.perf_counter()
            gc.collect()
            collection = time.perf_counter() - started
            # private, but in every version: the entries, to show that every thing and policy is cached
            held = [len(things._cache), len(policies._policies)]
        await bus.aclose()
    return {"bytes_per_thing": (after - before) / things_count, "full_collection_ms": collection * 1000,
            "things_cached": held[0], "policies_cached": held[1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--things", type=int, default=100_000)
    options = parser.parse_args()
    figures = asyncio.run(measure(options.things))
    print(f"{options.things:,} things read once ({figures['things_cached']:,} things and "
          f"{figures['policies_cached']:,} policies cached): {figures['bytes_per_thing']:,.0f} bytes of RSS a thing "
          f"(thing, policy, enforcer entry), {figures['bytes_per_thing'] * 100_000 / 2**20:,.0f} MiB per 100,000; "
          f"a full garbage collection then takes {figures['full_collection_ms']:.1f} ms")


if __name__ == "__main__":
    main()
