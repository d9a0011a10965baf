from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from twinhub.model.policy import MAX_TRANSITIVE_DEPTH, missing_imports, resolved_entries, validate_policy
from twinhub.model.types import JsonObject, JsonValue
from twinhub.policy import Rule, policy_rules

NOW = datetime(2030, 1, 1, 10, 30, tzinfo=UTC)


def make(policy_id: str, entries: JsonObject, imports: JsonObject | None = None) -> JsonObject:
    body: JsonObject = {"entries": entries}
    if imports is not None:
        body["imports"] = imports
    return validate_policy(body, policy_id, now=NOW)


def grants(subject: str, resource: str = "thing:/", *permissions: str, **fields: JsonValue) -> JsonObject:
    return {
        "subjects": {subject: {"type": "t"}},
        "resources": {resource: {"grant": list(permissions or ("READ",)), "revoke": []}},
        **fields,
    }


def subjects_of(rules: list[Rule]) -> set[str]:
    return {subject for rule in rules for subject in rule.subjects}


def rules(
    doc: JsonObject, loaded: Mapping[str, JsonObject | None] | None = None, namespace: str | None = None
) -> list[Rule]:
    return policy_rules(doc, loaded or {}, now=NOW, namespace=namespace)


# -- local rules ------------------------------------------------------------------------------------------------


def test_local_entries_become_one_rule_per_resource() -> None:
    doc = make(
        "ns:p",
        {
            "owner": {
                "subjects": {"nginx:a": {"type": "t"}, "nginx:b": {"type": "t"}},
                "resources": {
                    "thing:/": {"grant": ["READ", "WRITE"], "revoke": []},
                    "thing:/features/lamp/properties/on": {"grant": [], "revoke": ["WRITE"]},
                    "policy:/entries/x": {"grant": ["READ"], "revoke": []},
                    "message:/inbox/messages/hello": {"grant": ["WRITE"], "revoke": []},
                    "thing:/unused": {"grant": [], "revoke": []},
                },
            }
        },
    )
    both = frozenset({"nginx:a", "nginx:b"})
    assert rules(doc) == [
        Rule(both, "thing", (), frozenset({"READ", "WRITE"}), frozenset()),
        Rule(both, "thing", ("features", "lamp", "properties", "on"), frozenset(), frozenset({"WRITE"})),
        Rule(both, "policy", ("entries", "x"), frozenset({"READ"}), frozenset()),
        Rule(both, "message", ("inbox", "messages", "hello"), frozenset({"WRITE"}), frozenset()),
    ]


def test_resource_path_keys_are_unescaped_like_pointers() -> None:
    doc = make("ns:p", {"e": grants("a:b", "thing:/attributes/a~0b")})
    assert rules(doc)[0].path == ("attributes", "a~b")


def test_expired_subjects_are_dropped_and_entries_without_subjects_too() -> None:
    doc = make(
        "ns:p",
        {
            "mixed": {
                "subjects": {"a:soon": {"type": "t", "expiry": "2030-01-01T11:00:00Z"}, "a:always": {"type": "t"}},
                "resources": {"thing:/": {"grant": ["READ"], "revoke": []}},
            },
            "temporary": {
                "subjects": {"a:temp": {"type": "t", "expiry": "2030-01-01T12:00:00Z"}},
                "resources": {"thing:/": {"grant": ["WRITE"], "revoke": []}},
            },
        },
    )
    assert subjects_of(policy_rules(doc, {}, now=NOW, namespace=None)) == {"a:soon", "a:always", "a:temp"}
    at_eleven = policy_rules(doc, {}, now=datetime(2030, 1, 1, 11, tzinfo=UTC), namespace=None)
    assert subjects_of(at_eleven) == {"a:always", "a:temp"}
    at_noon = policy_rules(doc, {}, now=datetime(2030, 1, 1, 12, tzinfo=UTC), namespace=None)
    assert [rule.subjects for rule in at_noon] == [frozenset({"a:always"})]


# -- namespaces -------------------------------------------------------------------------------------------------


def test_entries_are_filtered_by_namespace_patterns() -> None:
    doc = make(
        "ns:p",
        {
            "everywhere": grants("a:everywhere"),
            "empty": grants("a:empty", namespaces=[]),
            "exact": grants("a:exact", namespaces=["com.acme"]),
            "below": grants("a:below", namespaces=["com.acme.*"]),
            "both": grants("a:both", namespaces=["com.acme", "com.acme.*"]),
            "other": grants("a:other", namespaces=["org.other"]),
        },
    )
    assert subjects_of(rules(doc)) == {"a:everywhere", "a:empty", "a:exact", "a:below", "a:both", "a:other"}
    assert subjects_of(rules(doc, namespace="com.acme")) == {"a:everywhere", "a:empty", "a:exact", "a:both"}
    assert subjects_of(rules(doc, namespace="com.acme.cars")) == {"a:everywhere", "a:empty", "a:below", "a:both"}
    assert subjects_of(rules(doc, namespace="com.acmex")) == {"a:everywhere", "a:empty"}
    assert subjects_of(rules(doc, namespace="")) == {"a:everywhere", "a:empty"}


def test_imported_entries_are_filtered_by_namespace_too() -> None:
    template = make("ns:tpl", {"scoped": grants("a:scoped", namespaces=["com.acme"])})
    doc = make("ns:p", {}, {"ns:tpl": {}})
    assert subjects_of(rules(doc, {"ns:tpl": template}, namespace="com.acme")) == {"a:scoped"}
    assert rules(doc, {"ns:tpl": template}, namespace="org.other") == []


# -- importable -------------------------------------------------------------------------------------------------

TEMPLATE = make(
    "ns:tpl",
    {
        "IMPLICIT": grants("a:implicit"),
        "DEFAULTED": grants("a:defaulted"),
        "EXPLICIT": grants("a:explicit", importable="explicit"),
        "NEVER": grants("a:never", importable="never"),
    },
)
_defaulted = TEMPLATE["entries"]
assert isinstance(_defaulted, dict) and isinstance(_defaulted["DEFAULTED"], dict)
del _defaulted["DEFAULTED"]["importable"]  # stored without `importable`: implicit


def imported(entries: list[str] | None) -> set[str]:
    config: JsonObject = {} if entries is None else {"entries": list(entries)}
    doc = make("ns:p", {}, {"ns:tpl": config})
    return subjects_of(rules(doc, {"ns:tpl": TEMPLATE}))


def test_implicit_entries_are_always_imported() -> None:
    assert imported(None) == {"a:implicit", "a:defaulted"}
    assert imported([]) == {"a:implicit", "a:defaulted"}
    # Ditto: the import's `entries` only adds explicit entries, implicit ones come regardless
    assert imported(["EXPLICIT"]) == {"a:implicit", "a:defaulted", "a:explicit"}


def test_explicit_entries_only_when_listed_and_never_entries_never() -> None:
    assert "a:explicit" not in imported(["IMPLICIT"])
    assert "a:explicit" in imported(["EXPLICIT"])
    assert "a:never" not in imported(["NEVER", "EXPLICIT", "IMPLICIT"])


def test_imported_entries_carry_their_rules_and_labels() -> None:
    doc = make("ns:p", {"own": grants("a:own")}, {"ns:tpl": {"entries": ["EXPLICIT"]}})
    assert [label for label, _ in resolved_entries(doc, {"ns:tpl": TEMPLATE})] == [
        "own",
        "imported-ns:tpl-IMPLICIT",
        "imported-ns:tpl-DEFAULTED",
        "imported-ns:tpl-EXPLICIT",
    ]
    assert rules(doc, {"ns:tpl": TEMPLATE})[-1] == Rule(
        frozenset({"a:explicit"}), "thing", (), frozenset({"READ"}), frozenset()
    )


def test_expired_subjects_of_imported_policies_are_dropped() -> None:
    template = make(
        "ns:tpl",
        {
            "e": {
                "subjects": {"a:old": {"type": "t", "expiry": "2030-01-01T11:00:00Z"}, "a:new": {"type": "t"}},
                "resources": {"thing:/": {"grant": ["READ"], "revoke": []}},
            }
        },
    )
    doc = make("ns:p", {}, {"ns:tpl": {}})
    later = policy_rules(doc, {"ns:tpl": template}, now=datetime(2030, 1, 2, tzinfo=UTC), namespace=None)
    assert subjects_of(later) == {"a:new"}


# -- missing policies -------------------------------------------------------------------------------------------


def test_missing_imported_policy_contributes_nothing() -> None:
    doc = make("ns:p", {"own": grants("a:own")}, {"ns:gone": {}, "ns:tpl": {}})
    assert missing_imports(doc, {}) == {"ns:gone", "ns:tpl"}
    assert missing_imports(doc, {"ns:tpl": TEMPLATE}) == {"ns:gone"}
    assert missing_imports(doc, {"ns:tpl": TEMPLATE, "ns:gone": None}) == set()
    assert subjects_of(rules(doc, {"ns:tpl": TEMPLATE})) == {"a:own", "a:implicit", "a:defaulted"}
    assert subjects_of(rules(doc)) == {"a:own"}


def test_policy_without_imports_needs_nothing() -> None:
    assert missing_imports(make("ns:p", {"own": grants("a:own")}), {}) == set()


# -- transitive imports -------------------------------------------------------------------------------------------


def chain_store() -> dict[str, JsonObject]:
    """ns:a imports ns:b (whitelisting ns:c), ns:b imports ns:c, ns:c imports ns:d (not whitelisted anywhere)."""
    return {
        "ns:a": make("ns:a", {"a": grants("s:a")}, {"ns:b": {"transitiveImports": ["ns:c"]}}),
        "ns:b": make("ns:b", {"b": grants("s:b")}, {"ns:c": {}}),
        "ns:c": make("ns:c", {"c": grants("s:c"), "cx": grants("s:cx", importable="explicit")}, {"ns:d": {}}),
        "ns:d": make("ns:d", {"d": grants("s:d")}),
    }


def load_until_resolved(doc: JsonObject, store: dict[str, JsonObject]) -> tuple[dict[str, JsonObject | None], int]:
    loaded: dict[str, JsonObject | None] = {}
    rounds = 0
    while needed := missing_imports(doc, loaded):
        rounds += 1
        assert rounds < 20
        for policy_id in needed:
            loaded[policy_id] = store.get(policy_id)
    return loaded, rounds


def test_own_imports_of_an_imported_policy_are_not_followed_without_whitelist() -> None:
    store = chain_store()
    doc = make("ns:p", {}, {"ns:a": {}})
    loaded, rounds = load_until_resolved(doc, store)
    assert (set(loaded), rounds) == ({"ns:a"}, 1)
    assert subjects_of(rules(doc, loaded)) == {"s:a"}


def test_transitive_whitelist_is_followed_level_by_level() -> None:
    store = chain_store()
    doc = make("ns:p", {}, {"ns:a": {"transitiveImports": ["ns:b"]}})
    loaded, rounds = load_until_resolved(doc, store)
    assert (set(loaded), rounds) == ({"ns:a", "ns:b", "ns:c"}, 3)
    # ns:a's import of ns:b whitelists ns:c; nobody whitelists ns:d
    assert subjects_of(rules(doc, loaded)) == {"s:a", "s:b", "s:c"}
    labels = [label for label, _ in resolved_entries(doc, loaded)]
    assert labels == ["imported-ns:a-a", "imported-ns:a-imported-ns:b-b", "imported-ns:a-imported-ns:b-imported-ns:c-c"]


def test_explicit_entries_do_not_pass_through_a_transitive_level() -> None:
    store = chain_store()
    store["ns:b"] = make("ns:b", {"b": grants("s:b")}, {"ns:c": {"entries": ["cx"]}})
    doc = make("ns:p", {}, {"ns:a": {"transitiveImports": ["ns:b"]}})
    loaded, _ = load_until_resolved(doc, store)
    # ns:b selects ns:c's explicit entry, but one level up its label is `imported-ns:c-cx`, which no import can list
    assert "s:cx" not in subjects_of(rules(doc, loaded))
    direct = make("ns:q", {}, {"ns:c": {"entries": ["cx"]}})
    assert "s:cx" in subjects_of(rules(direct, {"ns:c": store["ns:c"]}))


def test_whitelisted_ids_that_are_no_imports_are_ignored() -> None:
    store = chain_store()
    doc = make("ns:p", {}, {"ns:b": {"transitiveImports": ["ns:d", "ns:unknown"]}})
    loaded, _ = load_until_resolved(doc, store)
    assert set(loaded) == {"ns:b"}
    assert subjects_of(rules(doc, loaded)) == {"s:b"}


def test_missing_transitive_policy_contributes_nothing() -> None:
    store = chain_store()
    del store["ns:c"]
    doc = make("ns:p", {}, {"ns:b": {"transitiveImports": ["ns:c"]}})
    loaded, _ = load_until_resolved(doc, store)
    assert loaded == {"ns:b": store["ns:b"], "ns:c": None}
    assert subjects_of(rules(doc, loaded)) == {"s:b"}


def test_cycles_are_broken() -> None:
    # x -> y -> z -> x, every import whitelisting the next hop (a policy may not whitelist itself)
    store = {
        "ns:x": make("ns:x", {"x": grants("s:x")}, {"ns:y": {"transitiveImports": ["ns:z"]}}),
        "ns:y": make("ns:y", {"y": grants("s:y")}, {"ns:z": {"transitiveImports": ["ns:x"]}}),
        "ns:z": make("ns:z", {"z": grants("s:z")}, {"ns:x": {"transitiveImports": ["ns:y"]}}),
    }
    doc = make("ns:p", {"own": grants("s:own")}, {"ns:x": {"transitiveImports": ["ns:y"]}})
    loaded, rounds = load_until_resolved(doc, store)
    assert (set(loaded), rounds) == ({"ns:x", "ns:y", "ns:z"}, 3)
    labels = [label for label, _ in resolved_entries(doc, loaded)]
    assert labels == [
        "own",
        "imported-ns:x-x",
        "imported-ns:x-imported-ns:y-y",
        "imported-ns:x-imported-ns:y-imported-ns:z-z",
        "imported-ns:x-imported-ns:y-imported-ns:z-imported-ns:x-x",
    ]
    assert subjects_of(rules(doc, loaded)) == {"s:own", "s:x", "s:y", "s:z"}


def test_transitive_resolution_stops_at_the_depth_limit() -> None:
    count = MAX_TRANSITIVE_DEPTH + 4
    ids = [f"ns:c{i}" for i in range(count)]
    store = {}
    for i, policy_id in enumerate(ids):
        imports: JsonObject = {}
        if i + 1 < count:
            imports[ids[i + 1]] = {"transitiveImports": [ids[i + 2]]} if i + 2 < count else {}
        store[policy_id] = make(policy_id, {"e": grants(f"s:{i}")}, imports)
    doc = make("ns:p", {}, {ids[0]: {"transitiveImports": [ids[1]]}})
    loaded, _ = load_until_resolved(doc, store)
    # ns:c0 is resolved at depth 0; levels 1..10 are followed, deeper whitelists are not
    assert set(loaded) == set(ids[: MAX_TRANSITIVE_DEPTH + 1])
    assert subjects_of(rules(doc, loaded)) == {f"s:{i}" for i in range(MAX_TRANSITIVE_DEPTH + 1)}
    assert subjects_of(rules(doc, store)) == {f"s:{i}" for i in range(MAX_TRANSITIVE_DEPTH + 1)}
