"""`Enforcer` agrees with a deliberately naive reference on random policies, callers, paths and documents.

The reference below knows no trie: every question loops over all rules and compares paths by prefix, straight from
the definitions (digest §d). Small alphabets of keys, subjects and resource types force rules to overlap.
Set TWINHUB_POLICY_EXAMPLES to run more examples than the suite's default.
"""

from __future__ import annotations

import copy
import itertools
import os
from collections.abc import Collection, Sequence
from typing import cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twinhub.model.pointer import get_at
from twinhub.model.types import MISSING, JsonValue, Missing, Pointer
from twinhub.policy import Enforcer, Rule

PERMISSIONS = ("READ", "WRITE", "EXECUTE")
SUBJECTS = ("s1", "s2", "s3", "s4")
RESOURCE_TYPES = ("thing", "policy", "message")
KEYS = ("a", "b", "c")

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("TWINHUB_POLICY_EXAMPLES", "500"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- the naive reference -------------------------------------------------------------------------------------------


def _is_prefix(prefix: Pointer, path: Pointer) -> bool:
    return len(prefix) <= len(path) and path[: len(prefix)] == prefix


def naive_granted(rules: Sequence[Rule], subjects: Collection[str], rtype: str, path: Pointer, perm: str) -> bool:
    grant_weight = revoke_weight = -1
    for rule in rules:
        if rule.resource_type != rtype or not _is_prefix(rule.path, path):
            continue
        if not any(subject in rule.subjects for subject in subjects):
            continue
        if perm in rule.grant:
            grant_weight = max(grant_weight, len(rule.path))
        if perm in rule.revoke:
            revoke_weight = max(revoke_weight, len(rule.path))
    return grant_weight >= 0 and grant_weight > revoke_weight


def naive_unrestricted(rules: Sequence[Rule], subjects: Collection[str], rtype: str, path: Pointer, perm: str) -> bool:
    if not naive_granted(rules, subjects, rtype, path, perm):
        return False
    for rule in rules:
        strictly_below = len(rule.path) > len(path) and _is_prefix(path, rule.path)
        revokes_caller = perm in rule.revoke and any(subject in rule.subjects for subject in subjects)
        if rule.resource_type == rtype and strictly_below and revokes_caller:
            return False
    return True


def naive_partial(rules: Sequence[Rule], subjects: Collection[str], rtype: str, path: Pointer, perm: str) -> bool:
    if naive_granted(rules, subjects, rtype, path, perm):
        return True
    for rule in rules:
        strictly_below = len(rule.path) > len(path) and _is_prefix(path, rule.path)
        if rule.resource_type == rtype and strictly_below and naive_granted(rules, subjects, rtype, rule.path, perm):
            return True
    return False


def naive_view(
    rules: Sequence[Rule], subjects: Collection[str], rtype: str, path: Pointer, value: JsonValue, perm: str
) -> JsonValue | Missing:
    """Visit every path of `value`: leaves survive iff granted, objects iff something survived or they are granted."""
    if isinstance(value, dict) and value:
        kept: dict[str, JsonValue] = {}
        for key, field in value.items():
            sub = naive_view(rules, subjects, rtype, (*path, key), field, perm)
            if sub is not MISSING:
                kept[key] = sub
        if kept or naive_granted(rules, subjects, rtype, path, perm):
            return kept
        return MISSING
    return value if naive_granted(rules, subjects, rtype, path, perm) else MISSING


def naive_subjects_with_partial(rules: Sequence[Rule], rtype: str, path: Pointer, perm: str) -> frozenset[str]:
    everyone = {subject for rule in rules for subject in rule.subjects}
    return frozenset(s for s in everyone if naive_partial(rules, {s}, rtype, path, perm))


# --- strategies ----------------------------------------------------------------------------------------------------

paths = st.lists(st.sampled_from(KEYS), max_size=4).map(tuple)
permission_sets = st.frozensets(st.sampled_from(PERMISSIONS), max_size=3)
rules_strategy = st.builds(
    Rule,
    subjects=st.frozensets(st.sampled_from(SUBJECTS), min_size=1, max_size=4),
    resource_type=st.sampled_from(RESOURCE_TYPES[:2]),
    path=paths,
    grant=permission_sets,
    revoke=permission_sets,
)
policies = st.lists(rules_strategy, max_size=10)
callers = st.frozensets(st.sampled_from((*SUBJECTS, "s5")), max_size=4)  # empty and unknown callers too
queried_permissions = st.frozensets(st.sampled_from(PERMISSIONS), min_size=1, max_size=3)
leaves = st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(["x", "y"])
random_json: st.SearchStrategy[JsonValue] = st.recursive(
    leaves,
    lambda children: st.lists(children, max_size=2) | st.dictionaries(st.sampled_from(KEYS), children, max_size=3),
    max_leaves=12,
)


def _document(entries: list[tuple[Pointer, JsonValue]]) -> JsonValue:
    """An object holding each value at its path (later entries win), so documents follow the rules' paths."""
    doc: dict[str, JsonValue] = {}
    for path, value in entries:
        if not path:
            continue
        node = doc
        for key in path[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            node = child
        node[path[-1]] = copy.deepcopy(value)
    return doc


json_values = random_json | st.lists(st.tuples(paths, leaves | st.builds(dict) | random_json), max_size=8).map(
    _document
)


def _interesting_paths(rules: Sequence[Rule], extra: Pointer) -> set[Pointer]:
    """Every rule path, all its prefixes, one step below each, and `extra`."""
    found = {extra, ()}
    for rule in rules:
        for end in range(len(rule.path) + 1):
            found.add(rule.path[:end])
        found.add((*rule.path, "a"))
    return found


# --- properties ----------------------------------------------------------------------------------------------------


@SETTINGS
@given(rules=policies, caller=callers, path=paths, perms=queried_permissions, rtype=st.sampled_from(RESOURCE_TYPES))
def test_permission_checks_agree_with_the_reference(
    rules: list[Rule], caller: frozenset[str], path: Pointer, perms: frozenset[str], rtype: str
) -> None:
    enforcer = Enforcer(rules)
    for where in _interesting_paths(rules, path):
        assert enforcer.has_permission(caller, rtype, where, perms) == all(
            naive_granted(rules, caller, rtype, where, p) for p in perms
        ), where
        assert enforcer.has_unrestricted(caller, rtype, where, perms) == all(
            naive_unrestricted(rules, caller, rtype, where, p) for p in perms
        ), where
        assert enforcer.has_partial(caller, rtype, where, perms) == all(
            naive_partial(rules, caller, rtype, where, p) for p in perms
        ), where


@SETTINGS
@given(rules=policies, caller=callers, path=paths, data=st.data())
def test_view_agrees_with_the_reference(
    rules: list[Rule], caller: frozenset[str], path: Pointer, data: st.DataObject
) -> None:
    enforcer = Enforcer(rules)
    spots = sorted(_interesting_paths(rules, path))
    along_rules = st.lists(st.tuples(st.sampled_from(spots), leaves | st.builds(dict) | random_json), max_size=8)
    document = data.draw(json_values | along_rules.map(_document), label="document")
    for where in spots:
        found = get_at(document, where)
        value = document if found is MISSING else cast(JsonValue, found)
        # The object itself and each of its fields alone: single-field objects whose field is dropped are the
        # cases that decide between "kept empty because granted" and "dropped".
        candidates = [value, *({key: field} for key, field in value.items())] if isinstance(value, dict) else [value]
        for candidate, perm in itertools.product(candidates, PERMISSIONS):
            assert enforcer.view(caller, "thing", where, candidate, perm) == naive_view(
                rules, caller, "thing", where, candidate, perm
            ), (where, candidate, perm)


@SETTINGS
@given(rules=policies, path=paths, perm=st.sampled_from(PERMISSIONS), rtype=st.sampled_from(RESOURCE_TYPES))
def test_subjects_with_partial_agree_with_the_reference(
    rules: list[Rule], path: Pointer, perm: str, rtype: str
) -> None:
    enforcer = Enforcer(rules)
    for where in _interesting_paths(rules, path):
        assert enforcer.subjects_with_partial(rtype, where, perm) == naive_subjects_with_partial(
            rules, rtype, where, perm
        ), where


@SETTINGS
@given(rules=policies, caller=callers, value=json_values)
def test_a_readable_view_implies_partial_read(rules: list[Rule], caller: frozenset[str], value: JsonValue) -> None:
    """What queries check first (partial READ) never hides a document that `view` would show."""
    enforcer = Enforcer(rules)
    if enforcer.view(caller, "thing", (), value) is not MISSING:
        assert enforcer.has_partial(caller, "thing", (), ["READ"])
