"""Entry references resolved without I/O (`twinhub.model.policy.resolve_references`, `resolved_entries`), as Ditto's
`PolicyImporter.resolveReferences` / `resolveAllReferences` (policies/model/.../PolicyImporter.java) and the
"Entry references" section of `documentation/.../pages/ditto/basic-policy.md` describe them."""

from __future__ import annotations

import pytest

from twinhub.model.errors import PolicyEntryInvalid
from twinhub.model.policy import (
    MAX_INHERITED,
    check_inherited_size,
    check_lockout,
    resolve_references,
    resolved_entries,
)
from twinhub.model.types import JsonObject

TEMPLATE = "ns:template"


def entry(subjects: tuple[str, ...] = (), resources: dict[str, list[str]] | None = None,
          **extra: object) -> JsonObject:
    granted = (resources or {}).items()
    result: JsonObject = {"subjects": {subject: {"type": "t"} for subject in subjects},
                          "resources": {key: {"grant": grant, "revoke": []} for key, grant in granted},
                          "importable": "implicit"}
    result.update(extra)  # type: ignore[arg-type]
    return result


def policy(entries: JsonObject, imports: JsonObject | None = None) -> JsonObject:
    return {"policyId": "ns:p", "imports": imports or {}, "entries": entries}


def resolved(doc: JsonObject, loaded: dict[str, JsonObject | None] | None = None) -> dict[str, JsonObject]:
    return dict(resolved_entries(doc, loaded or {}))


def test_a_local_reference_inherits_the_referenced_entrys_resources_and_keeps_its_own_subjects() -> None:
    """basic-policy.md: subjects and resources of the referenced entry merge additively into the referencing one."""
    doc = policy({"role": entry((), {"thing:/features": ["READ"]}),
                  "people": entry(("nginx:bob",), {"thing:/attributes": ["READ"]}, references=[{"entry": "role"}])})
    people = resolved(doc)["people"]
    assert set(people["subjects"]) == {"nginx:bob"}  # type: ignore[arg-type]
    assert people["resources"] == {"thing:/features": {"grant": ["READ"], "revoke": []},
                                   "thing:/attributes": {"grant": ["READ"], "revoke": []}}
    assert "references" not in people
    assert resolved(doc)["role"] == doc["entries"]["role"]  # type: ignore[index]  # the referenced one is unchanged


def test_an_import_reference_reads_the_imported_entry_and_resolves_one_level_only() -> None:
    """PolicyImporter.lookupReference: an import reference names `imported-<id>-<label>` in the resolved set; local
    references yield the raw entry, not its own references (mutual references end after one pass)."""
    template = {"policyId": TEMPLATE, "imports": {}, "entries": {"operator": entry((), {"thing:/": ["WRITE"]})}}
    doc = policy({"op": entry(("nginx:carol",), references=[{"import": TEMPLATE, "entry": "operator"}]),
                  "a": entry(("nginx:a",), {"thing:/a": ["READ"]}, references=[{"entry": "b"}]),
                  "b": entry(("nginx:b",), {"thing:/b": ["READ"]}, references=[{"entry": "a"}])},
                 {TEMPLATE: {}})
    entries = resolved(doc, {TEMPLATE: template})
    assert entries["op"]["resources"] == {"thing:/": {"grant": ["WRITE"], "revoke": []}}
    assert set(entries["a"]["resources"]) == {"thing:/a", "thing:/b"}  # type: ignore[arg-type]
    assert set(entries["a"]["subjects"]) == {"nginx:a", "nginx:b"}  # type: ignore[arg-type]
    assert set(entries["b"]["subjects"]) == {"nginx:a", "nginx:b"}  # type: ignore[arg-type]


def test_overlapping_resources_unite_grants_and_revokes_and_the_referenced_subject_wins() -> None:
    """mergeResource: union of grants and of revokes (a referenced revoke stays); mergeSubjects: first seen id wins."""
    role = entry()
    role["subjects"] = {"nginx:bob": {"type": "from-role"}}
    role["resources"] = {"thing:/": {"grant": ["READ"], "revoke": ["WRITE"]}}
    own = entry(("nginx:bob",), references=[{"entry": "role"}])
    own["resources"] = {"thing:/": {"grant": ["WRITE"], "revoke": []}}
    merged = resolved(policy({"role": role, "own": own}))["own"]
    assert merged["resources"] == {"thing:/": {"grant": ["READ", "WRITE"], "revoke": ["WRITE"]}}
    assert merged["subjects"] == {"nginx:bob": {"type": "from-role"}}


def test_allowed_additions_strip_the_own_additions_they_do_not_list() -> None:
    """resolveAllReferences: the strictest `allowedAdditions` of the referenced entries filters the referencing
    entry's own content; `[]` allows none, an absent field restricts nothing."""
    doc = policy({
        "subjects-only": entry((), {"thing:/features": ["READ"]}, allowedAdditions=["subjects"]),
        "none": entry((), {"thing:/a": ["READ"]}, allowedAdditions=[]),
        "free": entry((), {"thing:/b": ["READ"]}),
        "x": entry(("nginx:x",), {"thing:/": ["WRITE"]}, namespaces=["org.x"], references=[{"entry": "subjects-only"}]),
        "y": entry(("nginx:y",), {"thing:/": ["WRITE"]}, references=[{"entry": "none"}, {"entry": "free"}]),
        "z": entry(("nginx:z",), {"thing:/": ["WRITE"]}, references=[{"entry": "free"}]),
    })
    entries = resolved(doc)
    assert set(entries["x"]["subjects"]) == {"nginx:x"}  # type: ignore[arg-type]
    assert set(entries["x"]["resources"]) == {"thing:/features"}  # type: ignore[arg-type]
    assert "namespaces" not in entries["x"] and entries["x"]["allowedAdditions"] == ["subjects"]
    assert entries["y"]["subjects"] == {} and set(entries["y"]["resources"]) == {"thing:/a", "thing:/b"}  # type: ignore[arg-type]
    assert set(entries["z"]["resources"]) == {"thing:/b", "thing:/"}  # type: ignore[arg-type]
    assert "allowedAdditions" not in entries["z"]


def test_never_importable_missing_and_unimported_targets_are_skipped() -> None:
    """resolveAllReferences skips `importable: never` targets and references that resolve to nothing (an explicit
    entry the import does not list is not in the resolved set)."""
    template = {"policyId": TEMPLATE, "imports": {}, "entries": {
        "hidden": entry((), {"thing:/": ["READ"]}, importable="explicit")}}
    doc = policy({"secret": entry((), {"thing:/s": ["READ"]}, importable="never"),
                  "x": entry(("nginx:x",), {"thing:/x": ["READ"]},
                             references=[{"entry": "secret"}, {"import": TEMPLATE, "entry": "hidden"},
                                         {"import": "ns:gone", "entry": "e"}])},
                 {TEMPLATE: {}})
    assert set(resolved(doc, {TEMPLATE: template, "ns:gone": None})["x"]["resources"]) == {"thing:/x"}  # type: ignore[arg-type]


def test_namespaces_of_the_referenced_entry_come_along() -> None:
    """mergeNamespaces: the referenced entry's namespaces are inherited (so they scope the referencing entry)."""
    doc = policy({"role": entry((), {"thing:/": ["READ"]}, namespaces=["org.acme"]),
                  "x": entry(("nginx:x",), references=[{"entry": "role"}])})
    assert resolved(doc)["x"]["namespaces"] == ["org.acme"]


def test_an_imported_policys_references_resolve_through_its_transitive_imports() -> None:
    """basic-policy.md "Transitive import resolution": fleet-west's driver references fleet-roles' driver; a vehicle
    importing fleet-west with transitiveImports [fleet-roles] gets the template's resources with all subjects."""
    roles = {"policyId": "acme:fleet-roles", "imports": {}, "entries": {
        "driver": entry((), {"thing:/features/location": ["READ"]}, allowedAdditions=["subjects"])}}
    west = {"policyId": "acme:fleet-west", "imports": {"acme:fleet-roles": {}}, "entries": {
        "driver": entry(("oauth2:alice",), references=[{"import": "acme:fleet-roles", "entry": "driver"}])}}
    vehicle = policy({"driver": entry(("oauth2:charlie",),
                                      references=[{"import": "acme:fleet-west", "entry": "driver"}])},
                     {"acme:fleet-west": {"entries": [], "transitiveImports": ["acme:fleet-roles"]}})
    loaded: dict[str, JsonObject | None] = {"acme:fleet-west": west, "acme:fleet-roles": roles}
    driver = resolved(vehicle, loaded)["driver"]
    assert set(driver["subjects"]) == {"oauth2:alice", "oauth2:charlie"}  # type: ignore[arg-type]
    assert set(driver["resources"]) == {"thing:/features/location"}  # type: ignore[arg-type]
    without = policy(vehicle["entries"], {"acme:fleet-west": {}})  # type: ignore[arg-type]
    assert set(resolved(without, loaded)["driver"]["resources"]) == set()  # type: ignore[arg-type]


def test_a_policy_without_references_is_passed_through_untouched() -> None:
    entries = [("a", entry(("nginx:a",)))]
    assert resolve_references(policy(dict(entries)), entries) is entries


def test_the_lockout_check_sees_local_references() -> None:
    """PoliciesValidator.newInstance validates the local-reference-resolved entries: WRITE on `policy:/` split
    between an entry with the subject and one with the resource is enough."""
    doc = policy({"admin-role": entry((), {"policy:/": ["READ", "WRITE"]}),
                  "admins": entry(("nginx:alice",), references=[{"entry": "admin-role"}])})
    check_lockout(doc)


def test_the_subjects_and_resources_local_references_copy_are_bounded() -> None:
    """twinhub's bound on what local references copy (summed over the policy: each referenced entry's subjects and
    resources once per reference), so that a policy within its byte size cannot resolve to an unbounded number of
    rules; import references are checked against their policy instead."""
    role = entry(("nginx:a",), {"thing:/a": ["READ"], "thing:/b": ["READ"]})  # 3 copied per reference
    doc = policy({"role": role, **{f"m{index}": entry(references=[{"entry": "role"}]) for index in range(3)},
                  "imported": entry(references=[{"import": TEMPLATE, "entry": "role"}])},
                 imports={TEMPLATE: {}})
    check_inherited_size(doc, "ns:p", limit=9)
    with pytest.raises(PolicyEntryInvalid, match="references of PolicyEntry 'm2'"):
        check_inherited_size(doc, "ns:p", limit=8)


def test_a_resolution_copies_no_more_than_its_bound() -> None:
    """twinhub's bound on one resolution (`MAX_INHERITED` subjects and resources copied): an imported entry that grew
    past what is left of it resolves to nothing, as a missing one does (a write cannot refuse the growth of another
    policy, and granting less than Ditto is the safe side); what fits is copied as before."""
    half = MAX_INHERITED // 2
    template = {"policyId": TEMPLATE, "imports": {}, "entries": {
        "small": entry((), {"thing:/small": ["READ"]}),
        "large": entry((), {f"thing:/large/{index}": ["READ"] for index in range(half)}),
    }}
    references = [{"import": TEMPLATE, "entry": "large"}, {"import": TEMPLATE, "entry": "small"}]
    doc = policy({"first": entry(("nginx:a",), references=references),
                  "second": entry(("nginx:b",), references=references)}, {TEMPLATE: {}})
    entries = resolved(doc, {TEMPLATE: template})
    assert len(entries["first"]["resources"]) == half + 1  # type: ignore[arg-type]
    assert set(entries["second"]["resources"]) == {"thing:/small"}  # type: ignore[arg-type]
