"""Random UUIDs from a pool of kernel randomness: the form `uuid.uuid4` gives, none repeated across threads or
across a fork (a forked worker must not hand out its parent's next ids)."""

from __future__ import annotations

import os
import threading
import uuid

from hypothesis import given
from hypothesis import strategies as st

from twinhub.model.random_ids import random_uuid, random_uuid_hex, uuid_hex


@given(st.binary(min_size=16, max_size=16))
def test_the_digits_are_those_of_the_version_4_uuid_of_the_bytes(random: bytes) -> None:
    assert uuid_hex(random) == uuid.UUID(bytes=random, version=4).hex


def test_ids_are_version_4_uuids_in_their_usual_forms() -> None:
    text = random_uuid()
    assert str(uuid.UUID(text)) == text and uuid.UUID(text).version == 4
    digits = random_uuid_hex()
    assert uuid.UUID(hex=digits).hex == digits and uuid.UUID(hex=digits).version == 4


def test_no_id_repeats_across_threads() -> None:
    made: list[list[str]] = [[] for _ in range(4)]

    def make(into: list[str]) -> None:
        into.extend(random_uuid() for _ in range(5_000))  # several refills of the pool each

    threads = [threading.Thread(target=make, args=(into,)) for into in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [text for into in made for text in into]
    assert len(set(everything)) == len(everything) == 20_000


def test_a_forked_child_does_not_repeat_its_parents_ids() -> None:
    random_uuid()  # the pool holds ids the parent has not handed out yet
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        try:
            os.write(writing, ",".join(random_uuid() for _ in range(10)).encode())
        finally:
            os._exit(0)
    os.close(writing)
    with os.fdopen(reading) as pipe:
        childs = set(pipe.read().split(","))
    os.waitpid(child, 0)
    parents = {random_uuid() for _ in range(10)}
    assert len(childs) == 10 and not childs & parents
