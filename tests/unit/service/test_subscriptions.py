"""Subscriptions filed by reach: an event visits few of them, and exactly the same ones pass as in a scan."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from twinhub.model.events import ThingEvent
from twinhub.policy import Enforcer
from twinhub.policy.rules import Rule
from twinhub.rql import And, Comparison, Exists, In, Node, Not, Or, parse_filter
from twinhub.service.event_views import EventFilter, EventView, Interest
from twinhub.service.subscriptions import Reach, Subscriptions, reach

ALICE = ("nginx:alice",)
ENFORCER = Enforcer([Rule(frozenset(ALICE), "thing", (), frozenset({"READ"}), frozenset())])
NAMESPACES = ["a", "b", "c.d"]
THING_IDS = [f"{namespace}:{name}" for namespace in NAMESPACES for name in ("x", "y")]
FIELDS = ["thingId", "/thingId", "_namespace", "namespace", "thing:id", "entity:id", "topic:namespace",
          "thing:namespace", "entity:namespace", "thing:name", "attributes/n", "policyId"]
MOMENT = datetime(2024, 1, 1, tzinfo=UTC)

values = st.sampled_from([*THING_IDS, *NAMESPACES, "x", 1, None])
thing_id_fields = st.sampled_from(["thingId", "/thingId", "thing:id", "entity:id"])
namespace_fields = st.sampled_from(["_namespace", "namespace", "topic:namespace", "thing:namespace",
                                    "entity:namespace"])
leaves: st.SearchStrategy[Node] = st.one_of(
    # mostly what pins a thing id or namespace, so that many subscriptions pass some of the events
    st.builds(Comparison, st.just("eq"), thing_id_fields, st.sampled_from(THING_IDS)),
    st.builds(In, thing_id_fields, st.lists(st.sampled_from(THING_IDS), min_size=1, max_size=3).map(tuple)),
    st.builds(Comparison, st.just("eq"), namespace_fields, st.sampled_from(NAMESPACES)),
    st.builds(In, namespace_fields, st.lists(st.sampled_from(NAMESPACES), min_size=1, max_size=2).map(tuple)),
    st.builds(Comparison, st.sampled_from(["eq", "ne", "like", "gt"]), st.sampled_from(FIELDS), values),
    st.builds(In, st.sampled_from(FIELDS), st.lists(values, min_size=1, max_size=3).map(tuple)),
    st.builds(Exists, st.sampled_from(FIELDS)),
)
nodes: st.SearchStrategy[Node] = st.recursive(leaves, lambda children: st.one_of(
    st.builds(And, st.lists(children, min_size=1, max_size=3).map(tuple)),
    st.builds(Or, st.lists(children, min_size=1, max_size=3).map(tuple)),
    st.builds(Not, children),
), max_leaves=6)
name_sets = st.none() | st.frozensets(st.sampled_from(NAMESPACES))
id_sets = st.none() | st.frozensets(st.sampled_from(THING_IDS))
filters = st.builds(lambda namespaces, thing_ids, node: EventFilter(namespaces=namespaces, thing_ids=thing_ids,
                                                                    filter=node),
                    name_sets, id_sets, st.none() | nodes)


def passes(event_filter: EventFilter, event: ThingEvent) -> bool:
    """What the hub delivers: the cheap checks, then the filter on the (READ) view."""
    namespace = event.thing_id.split(":", 1)[0]
    if event_filter.namespaces is not None and namespace not in event_filter.namespaces:
        return False
    if event_filter.thing_ids is not None and event.thing_id not in event_filter.thing_ids:
        return False
    view = EventView(event, None, ENFORCER, MOMENT)
    return view.deliver(Interest(ALICE, event_filter)) is not None


def index_of(event_filters: list[EventFilter]) -> Subscriptions[int]:
    index: Subscriptions[int] = Subscriptions()
    for key, event_filter in enumerate(event_filters):
        index.add(key, reach(thing_ids=event_filter.thing_ids, namespaces=event_filter.namespaces,
                             filter=event_filter.filter))
    return index


@settings(max_examples=300)
@given(st.lists(filters, max_size=8), st.sampled_from([1, "a:x", None]))
def test_indexed_matching_delivers_exactly_what_a_scan_would(event_filters: list[EventFilter], n: object) -> None:
    index = index_of(event_filters)
    for thing_id in THING_IDS:
        event = ThingEvent(thing_id, "modified", ("attributes", "n"), n, 2, MOMENT)  # type: ignore[arg-type]
        scanned = {key for key, event_filter in enumerate(event_filters) if passes(event_filter, event)}
        candidates = index.candidates(event.thing_id)
        assert len(candidates) == len(set(candidates))  # each once
        assert {key for key in candidates if passes(event_filters[key], event)} == scanned


@given(st.lists(filters, min_size=1, max_size=8), st.data())
def test_a_removed_subscription_is_no_candidate(event_filters: list[EventFilter], data: st.DataObject) -> None:
    index = index_of(event_filters)
    removed = data.draw(st.sets(st.sampled_from(range(len(event_filters)))))
    for key in removed:
        index.remove(key)
        index.remove(key)  # idempotent
    assert len(index) == len(event_filters) - len(removed)
    assert set(index) == set(range(len(event_filters))) - removed
    for thing_id in THING_IDS:
        assert not removed & set(index.candidates(thing_id))


def test_a_subscription_to_one_thing_is_no_candidate_for_the_others() -> None:
    index: Subscriptions[str] = Subscriptions()
    for thing_id in THING_IDS:
        index.add(thing_id, reach(thing_ids=None, namespaces=None, filter=parse_filter(f'eq(thingId,"{thing_id}")')))
    index.add("namespace a", reach(thing_ids=None, namespaces=frozenset({"a"}), filter=None))
    index.add("any", reach(thing_ids=None, namespaces=None, filter=parse_filter("exists(attributes/n)")))
    assert index.candidates("a:y") == ["any", "namespace a", "a:y"]
    assert index.candidates("b:x") == ["any", "b:x"]


def test_what_a_filter_pins() -> None:
    def pinned(text: str) -> Reach:
        return reach(thing_ids=None, namespaces=None, filter=parse_filter(text))

    assert pinned('and(eq(attributes/n,1),in(thing:id,"a:x","b:y"))') == Reach(frozenset({"a:x", "b:y"}))
    assert pinned('or(eq(thingId,"a:x"),eq(entity:id,"b:y"))') == Reach(frozenset({"a:x", "b:y"}))
    assert pinned('or(eq(thingId,"a:x"),eq(attributes/n,1))') == Reach()  # the second may pass any thing
    assert pinned('eq(_namespace,"a")') == Reach(namespaces=frozenset({"a"}))
    assert pinned('and(eq(thingId,"a:x"),eq(thingId,"b:y"))') == Reach(frozenset())  # none can pass
    assert pinned('not(eq(thingId,"a:x"))') == Reach()
    assert pinned("eq(thingId,1)") == Reach()
    assert reach(thing_ids=frozenset({"a:x", "a:y"}), namespaces=frozenset({"a"}),
                 filter=parse_filter('eq(thingId,"a:x")')) == Reach(frozenset({"a:x"}), frozenset({"a"}))
