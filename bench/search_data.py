"""The search benchmark's data set: a million things written straight into an embedded store, cached.

Creating a million things over HTTP would take hours, so the generator builds each creation exactly as
the service does for `PUT /api/2/things/{id}` without a policy (`service/creation.py`,
`service/things.py`, `service/policies.py`): the thing through `apply`, its default policy through
`default_policy` + `validate_policy`, the policy's search index through `policy_index_rows` of its
`resolved_entries`, and commits each as one `store.commit(Commit(things, policies, policy_indexes))` — many at
once, so that the store's group commit batches them as it would under load.

The database is kept under `bench/.data/search-<size>/` (git-ignored) with a `dataset.json` written last;
a later run reuses it when that file names the same generator version and parameters, and regenerates
it otherwise.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import shutil
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from bench.basic_user import SUBJECT
from bench.machine import system_cpu
from twinhub.model.commands import DEFAULT_MAX_THING_SIZE, ThingCommand, apply
from twinhub.model.events import Policy, PolicyEvent, PolicyWrite, ThingWrite
from twinhub.model.policy import check_lockout, default_policy, imported_policy_ids, resolved_entries, validate_policy
from twinhub.model.types import JsonObject
from twinhub.store.base import Store
from twinhub.store.commit import Commit
from twinhub.store.index import PolicyIndex, PolicyIndexRow, policy_index_rows
from twinhub.store.sqlite import DATABASE_FILE, DEFAULT_BATCH_MAX, open_sqlite_store

# Bump whenever anything below changes what is generated: cached data sets of another version are rebuilt.
GENERATOR_VERSION = 1

CACHE = Path(__file__).resolve().parent / ".data"
OTHER_SUBJECT = "nginx:someone-else"
NAMESPACES = 10
ROOMS = 1000
TYPES = ("sensor", "gateway", "actuator", "camera", "meter", "lock", "switch", "display")
BUILDINGS = 40
TAGS = ("indoor", "outdoor", "critical", "spare", "legacy", "eu", "us", "leased", "owned", "battery")
TEMPERATURE_RANGE = (15.0, 30.0)  # thermostat temperatures are uniform in it, two decimals
SHAPES = ("attributes", "features", "nested")
CHUNK = 4096  # units built and committed together (two chunks are in flight at a time)
SEED = 20261122


def namespace(index: int) -> str:
    return f"bench.ns{index % NAMESPACES}"


def visible_id(index: int) -> str:
    return f"{namespace(index)}:thing-{index}"


def hidden_id(index: int) -> str:
    return f"{namespace(index)}:hidden-{index}"


def shape_indices(things: int, shape: str) -> range:
    """The indices of the visible things of one shape (`index % 3` picks the shape)."""
    return range(SHAPES.index(shape), things, len(SHAPES))


def lua_visible_id(things: int, *, shape: str | None = None) -> str:
    """wrk's `visible_id`: Lua lines that set `n` to a random index among `things` (of one shape only, when
    given) and `id` to that thing's id."""
    indices = range(things) if shape is None else shape_indices(things, shape)
    pick = f"{indices.step} * math.random(0, {len(indices) - 1}) + {indices.start}"
    return f"""
  local n = {pick}
  local id = string.format("bench.ns%d:thing-%d", n % {NAMESPACES}, n)"""


def cache_label(things: int) -> str:
    return f"{things // 1_000_000}m" if things % 1_000_000 == 0 else f"{things // 1000}k" \
        if things % 1000 == 0 else str(things)


@dataclass(frozen=True, slots=True)
class Spec:
    """What is generated; a cached data set is reused only for an equal spec."""

    things: int = 1_000_000  # visible to nginx:bench, each under its own default policy
    hidden: int = 5_000  # under policies that give nginx:bench nothing (half another subject, half a revoke)
    generator_version: int = GENERATOR_VERSION
    seed: int = SEED

    @property
    def label(self) -> str:
        return cache_label(self.things)


def thing_body(shape: str, index: int, rng: random.Random) -> JsonObject:
    """One of three shapes, by `index % 3`: flat attributes, two features, nested objects and arrays."""
    if shape == "attributes":
        return {"attributes": {"type": rng.choice(TYPES), "room": f"room-{rng.randrange(ROOMS)}",
                               "serial": f"SN-{index:07d}", "level": rng.randrange(10)}}
    if shape == "features":
        low, high = TEMPERATURE_RANGE
        return {"features": {
            "thermostat": {"properties": {"temperature": round(rng.uniform(low, high), 2),
                                          "setpoint": round(rng.uniform(18.0, 24.0) * 2) / 2}},
            "lamp": {"properties": {"on": rng.random() < 0.5, "brightness": rng.randrange(101)}},
        }}
    return {"attributes": {"location": {"building": f"b-{rng.randrange(BUILDINGS)}", "floor": rng.randrange(-2, 30)},
                           "tags": rng.sample(TAGS, rng.randint(1, 4))}}


# The policies things get: the default policy of a creation by nginx:bench (every visible thing), and two
# under which nginx:bench may not read the thing: another subject's default policy, and nginx:bench's
# default policy plus an entry revoking READ on `thing:/` (revoke wins) — the hidden things alternate.
OWN, OTHERS, REVOKED = 0, 1, 2


def policy_doc(kind: int, policy_id: str) -> JsonObject:
    if kind == OTHERS:
        return default_policy(policy_id, OTHER_SUBJECT)
    doc = default_policy(policy_id, SUBJECT)
    if kind == REVOKED:
        entries = doc["entries"]
        assert isinstance(entries, dict)
        entries["HIDE"] = {"subjects": {SUBJECT: {"type": "generated"}},
                           "resources": {"thing:/": {"grant": [], "revoke": ["READ"]}},
                           "importable": "implicit"}
    return doc


class Policies:
    """The policy documents and index rows of new things, validated once per kind of policy.

    `validate_policy` and `policy_index_rows` of a policy whose only difference is its id give the same
    entries and rows whatever the id (checked on a second id when a kind is first used), so each kind is
    validated once and then only gets its id — saving the bulk of the generator's Python time.
    """

    def __init__(self, now: datetime) -> None:
        self._now = now
        self._kinds: dict[int, tuple[JsonObject, tuple[PolicyIndexRow, ...]]] = {}

    def _validated(self, doc: JsonObject, policy_id: str) -> tuple[JsonObject, tuple[PolicyIndexRow, ...]]:
        valid = validate_policy(doc, policy_id, now=self._now)
        check_lockout(valid)
        return valid, tuple(policy_index_rows(resolved_entries(valid, {})))

    def get(self, kind: int, policy_id: str) -> tuple[JsonObject, tuple[PolicyIndexRow, ...]]:
        known = self._kinds.get(kind)
        if known is None:
            known = self._kinds[kind] = self._validated(policy_doc(kind, policy_id), policy_id)
            other = "bench.check:" + policy_id.split(":", 1)[1]
            again, rows = self._validated(policy_doc(kind, other), other)
            if {**again, "policyId": policy_id} != known[0] or rows != known[1]:
                raise AssertionError("validated policies differ in more than their id; generate each one")
        template, rows = known
        return {**template, "policyId": policy_id}, rows


def creation(thing_id: str, body: JsonObject, policy: tuple[JsonObject, tuple[PolicyIndexRow, ...]],
             timestamp: datetime) -> Commit:
    """What `PUT /api/2/things/{thing_id}` without a policy commits: the thing, its new policy (id = thing
    id) and that policy's search index — built with the service's own functions."""
    doc, rows = policy
    policy_entity = Policy(thing_id, doc, 1, timestamp, timestamp)
    policy_write = PolicyWrite(policy_entity, PolicyEvent(thing_id, "created", (), doc, 1, timestamp), 0)
    index = PolicyIndex(thing_id, rows, tuple(imported_policy_ids(doc)))
    applied = apply(None, ThingCommand("modify", thing_id, (), {**body, "policyId": thing_id}), now=timestamp,
                    max_size=DEFAULT_MAX_THING_SIZE)
    return Commit(things=(ThingWrite(applied.thing, applied.event, 0),), policies=(policy_write,),
                  policy_indexes=(index,))


@dataclass
class Tally:
    """How many things of each shape were written, visible and hidden: the expected search counts."""

    visible: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SHAPES, 0))
    hidden: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SHAPES, 0))


Planned = tuple[str, JsonObject, int]  # thing id, body, policy kind


def _planned(spec: Spec, tally: Tally) -> Iterator[Planned]:
    """Every thing to create, the hidden ones spread evenly among the visible ones."""
    rng = random.Random(spec.seed)
    every = max(spec.things // max(spec.hidden, 1), 1)
    hidden = 0

    def next_hidden() -> Planned:
        nonlocal hidden
        shape = SHAPES[hidden % 3]
        tally.hidden[shape] += 1
        planned = (hidden_id(hidden), thing_body(shape, spec.things + hidden, rng), OTHERS + hidden % 2)
        hidden += 1
        return planned

    for index in range(spec.things):
        shape = SHAPES[index % 3]
        tally.visible[shape] += 1
        yield visible_id(index), thing_body(shape, index, rng), OWN
        if hidden < spec.hidden and index % every == every - 1:
            yield next_hidden()
    while hidden < spec.hidden:  # only when there are fewer things than hidden ones
        yield next_hidden()


_Item = TypeVar("_Item")


def chunked(items: Iterable[_Item], size: int) -> Iterator[list[_Item]]:
    """`items` in lists of `size` (the last may be shorter)."""
    chunk: list[_Item] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def load_dataset(opening: AbstractAsyncContextManager[Store], spec: Spec, tally: Tally, *, batch_max: int,
                       what: str, progress: bool, database_cpu: Callable[[], float] | None = None,
                       committed_so_far: Callable[[int], Awaitable[None]] | None = None) -> dict[str, Any]:
    """Write every unit of `spec` through the store `opening` opens (SQLite or PostgreSQL), two chunks in
    flight, so building one overlaps committing the other; closes it. Returns the load figures.

    `database_cpu` gives the CPU seconds a database server's processes have used so far (PostgreSQL's; none
    for the embedded store, whose writer is a thread of this process): it is then reported apart from the
    machine's other work. `batch_max` is the store's limit of units per group commit, for the report.
    `committed_so_far` is awaited with the number of things committed after each chunk, while the next one
    is in flight (PostgreSQL: to ANALYZE the growing tables as autovacuum would)."""
    total = spec.things + spec.hidden
    written = 0
    system_before, own_before = system_cpu(), os.times()
    database_before = database_cpu() if database_cpu is not None else 0.0
    started = time.perf_counter()
    last_note = started
    async with opening as store:
        previous: asyncio.Future[list[None]] | None = None
        policies = Policies(datetime.now(UTC))
        for chunk in chunked(_planned(spec, tally), CHUNK):
            timestamp = datetime.now(UTC)
            units = [creation(thing_id, body, policies.get(kind, thing_id), timestamp)
                     for thing_id, body, kind in chunk]
            current = asyncio.ensure_future(asyncio.gather(*(store.commit(unit) for unit in units)))
            del units
            if previous is not None:
                await previous
                if committed_so_far is not None:
                    await committed_so_far(written)
            previous = current
            written += len(chunk)
            if progress and time.perf_counter() - last_note > 15:
                last_note = time.perf_counter()
                rate = written / (last_note - started)
                print(f"bench: {what}: {written:,} of {total:,} things ({rate:,.0f}/s)", flush=True)
        if previous is not None:
            await previous
        committed = time.perf_counter()
        # Before closing: the store's connections (and their server processes' CPU figures) end with it.
        database = (database_cpu() if database_cpu is not None else 0.0) - database_before
    closed = time.perf_counter()  # closing SQLite's store checkpoints the write-ahead log into the database file
    system_after, own_after = system_cpu(), os.times()
    own = own_after.user + own_after.system - own_before.user - own_before.system
    capacity = system_after.total_s - system_before.total_s
    others = (system_after.busy_s - system_before.busy_s - own - database
              + system_after.steal_s - system_before.steal_s)
    figures: dict[str, Any] = {
        "things": total,
        "chunk": CHUNK,
        "seconds": round(closed - started, 1),
        "commit_seconds": round(committed - started, 1),
        "things_per_s": round(total / (closed - started), 1),
        "batch_max": batch_max,  # the store's limit of units per group commit (its default, as served)
        "generator_cpu_s": round(own, 1),  # the event loop building and encoding (and SQLite's writer thread)
        "generator_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "others_cpu_percent": round(100 * max(others, 0.0) / capacity, 1) if capacity > 0 else 0.0,
    }
    if database_cpu is not None:
        figures["database_cpu_s"] = round(database, 1)
    return figures


def database_sizes(path: Path) -> dict[str, Any]:
    """The file's size and, when SQLite has the `dbstat` table, the bytes of each table and index."""
    sizes: dict[str, Any] = {"file_bytes": path.stat().st_size}
    wal = path.with_name(path.name + "-wal")
    sizes["wal_bytes"] = wal.stat().st_size if wal.exists() else 0
    connection = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        sizes["page_size"] = connection.execute("PRAGMA page_size").fetchone()[0]
        rows = connection.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").fetchall()
        sizes["objects"] = {name: int(size) for name, size in rows}
        counts = {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                  for table in ("things", "thing_index", "policies", "policy_index")}
        sizes["rows"] = counts
    except sqlite3.Error as error:
        sizes["objects_error"] = str(error)
    finally:
        connection.close()
    return sizes


@dataclass(frozen=True, slots=True)
class Dataset:
    """A generated data set on disk: the server's data dir, and what was written into it."""

    spec: Spec
    root: Path  # bench/.data/search-<label>
    load: dict[str, Any]  # the figures of the run that generated it
    tally: Tally
    sizes: dict[str, Any]
    generated_at: str
    cached: bool  # reused from an earlier run (its load figures are from that run)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def database(self) -> Path:
        return self.data_dir / DATABASE_FILE

    @property
    def visible_things(self) -> int:
        return sum(self.tally.visible.values())


def _marker(root: Path) -> Path:
    return root / "dataset.json"


def _read_cached(root: Path, spec: Spec) -> Dataset | None:
    try:
        saved = json.loads(_marker(root).read_text())
    except (OSError, ValueError):
        return None
    if saved.get("spec") != asdict(spec) or not (root / "data" / DATABASE_FILE).exists():
        return None
    tally = Tally(saved["tally"]["visible"], saved["tally"]["hidden"])
    return Dataset(spec, root, saved["load"], tally, saved["sizes"], saved["generated_at"], cached=True)


def ensure_dataset(spec: Spec, *, regenerate: bool = False, progress: bool = True) -> Dataset:
    """The cached data set for `spec`, generated first if missing, stale or `regenerate`."""
    root = CACHE / f"search-{spec.label}"
    if not regenerate:
        cached = _read_cached(root, spec)
        if cached is not None:
            return cached
    CACHE.mkdir(parents=True, exist_ok=True)
    building = CACHE / f"search-{spec.label}.building-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    (building / "data").mkdir(parents=True)
    database = building / "data" / DATABASE_FILE
    tally = Tally()
    generated_at = datetime.now(UTC).isoformat(timespec="seconds")
    if progress:
        print(f"bench: search data: generating {spec.things:,} + {spec.hidden:,} hidden things into {root} "
              "(once; later runs reuse it)", flush=True)
    try:
        load = asyncio.run(load_dataset(open_sqlite_store(database), spec, tally, batch_max=DEFAULT_BATCH_MAX,
                                        what="search data", progress=progress))
        sizes = database_sizes(database)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    _marker(building).write_text(json.dumps({"spec": asdict(spec), "generated_at": generated_at, "load": load,
                                             "tally": asdict(tally), "sizes": sizes}, indent=2) + "\n")
    shutil.rmtree(root, ignore_errors=True)
    building.rename(root)
    return Dataset(spec, root, load, tally, sizes, generated_at, cached=False)
