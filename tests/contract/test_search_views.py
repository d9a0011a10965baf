"""Search agrees with the caller's READ view on every backend: `empty` and `exists` count only what the caller may
read, as the in-memory evaluation of the same filter on the thing as GET shows it does (issue 10, item 11).

Each case writes one policy twice, as search index rows and as enforcer rules, and checks that the search answers
exactly what `twinhub.rql.matches` answers on the enforcer's view of each thing.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from tests.contract.test_search import ids
from tests.contract.test_search_sql import grant, put, revoke
from twinhub.model.types import JsonObject
from twinhub.policy import Enforcer
from twinhub.policy.rules import Rule
from twinhub.rql import matches
from twinhub.rql.parser import parse_filter
from twinhub.store.base import Store
from twinhub.store.index import PolicyIndexRow

pytestmark = pytest.mark.anyio

THINGS: dict[str, JsonObject] = {
    "cfg": {"attributes": {"cfg": {"secret": 1}}},  # bob sees cfg as {}
    "mixed": {"attributes": {"cfg": {"secret": 1, "open": 2}}},
    "hollow": {"attributes": {"cfg": {}}},
    "list": {"attributes": {"cfg": [1]}},
    "deep": {"attributes": {"deep": {"hidden": 1, "a": {"b": 3}}}},  # bob sees deep as {"a": {"b": 3}}
    "covered": {"attributes": {"deep": {"hidden": 1}}},  # bob does not see deep at all
    "feature": {"features": {"f": {"properties": {"p": {"secret": 1}}}}},
    "features": {"features": {"f": {"properties": {"p": {"secret": 1}}}, "g": {"properties": {"p": {"x": 1}}}}},
}
ROWS = (grant("alice"), grant("bob"), revoke("bob", "/attributes/cfg/secret"), revoke("bob", "/attributes/deep"),
        grant("bob", "/attributes/deep/a"), revoke("bob", "/features/f/properties/p/secret"))
FILTERS = [
    "empty(attributes/cfg)", "not(empty(attributes/cfg))", "exists(attributes/cfg)", "not(exists(attributes/cfg))",
    "empty(attributes/deep)", "not(empty(attributes/deep))", "exists(attributes/deep)",
    "not(exists(attributes/deep))", "exists(attributes/deep/a)", "empty(attributes/deep/hidden)",
    "empty(features/*/properties/p)", "not(empty(features/*/properties/p))", "exists(features/*/properties/p)",
    "empty(features/f/properties/p)", "not(empty(features/f/properties/p))", "exists(features/f/properties)",
]


def enforcer_of(rows: Sequence[PolicyIndexRow]) -> Enforcer:
    return Enforcer(Rule(frozenset({row.subject}), "thing", tuple(row.path.split("/")[1:]),
                         frozenset({"READ"}) if row.effect > 0 else frozenset(),
                         frozenset({"READ"}) if row.effect < 0 else frozenset()) for row in rows)


@pytest.mark.parametrize("filter", FILTERS)
async def test_empty_and_exists_agree_with_the_callers_view(store: Store, filter: str) -> None:
    await put(store, THINGS, rows=ROWS)
    enforcer = enforcer_of(ROWS)
    for subject in ("alice", "bob"):
        expected = []
        for name, doc in sorted(THINGS.items()):
            view = enforcer.view({subject}, "thing", (), {"thingId": f"org.twinhub:{name}", **doc})
            assert isinstance(view, dict)
            if matches(parse_filter(filter), view):
                expected.append(name)
        assert await ids(store, filter, subjects=[subject]) == expected, subject


async def test_not_empty_does_not_count_keys_the_caller_may_not_read(store: Store) -> None:
    await put(store, THINGS, rows=ROWS)
    assert await ids(store, "not(empty(attributes/cfg))", subjects=["bob"]) == ["list", "mixed"]
    assert await ids(store, "not(empty(attributes/cfg))", subjects=["alice"]) == ["cfg", "list", "mixed"]
    assert await ids(store, "empty(features/*/properties/p)", subjects=["bob"]) == [
        name for name in sorted(THINGS) if name != "features"]
