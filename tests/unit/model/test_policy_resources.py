from __future__ import annotations

from datetime import UTC, datetime

import pytest

from twinhub.model.errors import ResourceNotFound, TwinhubError
from twinhub.model.policy import (
    PolicyResource,
    classify_policy_path,
    missing_policy_part,
    normalize_policy_path,
    parse_policy_path,
    policy_not_found,
    policy_not_modifiable,
    retrieve_policy_part,
    validate_policy,
    validate_policy_part,
)
from twinhub.model.types import JsonObject, JsonValue, Pointer

P = "org.eclipse.ditto:policy"
NOW = datetime(2030, 1, 1, 10, 30, tzinfo=UTC)

CLASSIFIED: list[tuple[Pointer, PolicyResource]] = [
    ((), PolicyResource.POLICY),
    (("entries",), PolicyResource.ENTRIES),
    (("entries", "owner"), PolicyResource.ENTRY),
    (("entries", "subjects"), PolicyResource.ENTRY),
    (("entries", "owner", "subjects"), PolicyResource.SUBJECTS),
    (("entries", "owner", "subjects", "nginx:ditto"), PolicyResource.SUBJECT),
    (("entries", "owner", "subjects", "https://idp.example:sub/with/slashes"), PolicyResource.SUBJECT),
    (("entries", "owner", "resources"), PolicyResource.RESOURCES),
    (("entries", "owner", "resources", "thing:/"), PolicyResource.RESOURCE),
    (("entries", "owner", "resources", "thing:/features/x"), PolicyResource.RESOURCE),
    (("entries", "owner", "importable"), PolicyResource.IMPORTABLE),
    (("entries", "owner", "namespaces"), PolicyResource.NAMESPACES),
    (("entries", "owner", "allowedAdditions"), PolicyResource.ALLOWED_ADDITIONS),
    (("entries", "owner", "references"), PolicyResource.REFERENCES),
    (("imports",), PolicyResource.IMPORTS),
    (("imports", "ns:tpl"), PolicyResource.IMPORT),
    (("imports", "ns:tpl", "entries"), PolicyResource.IMPORT_ENTRIES),
    (("imports", "ns:tpl", "transitiveImports"), PolicyResource.IMPORT_TRANSITIVE_IMPORTS),
]


@pytest.mark.parametrize(("path", "resource"), CLASSIFIED)
def test_classify_names_every_policy_resource(path: Pointer, resource: PolicyResource) -> None:
    assert classify_policy_path(path) is resource


def test_every_resource_is_classified() -> None:
    assert {resource for _, resource in CLASSIFIED} == set(PolicyResource)


@pytest.mark.parametrize(
    "path",
    [
        ("policyId",),
        ("_revision",),
        ("Entries",),
        ("actions", "activateTokenIntegration"),
        ("entries", "owner", "unknown"),
        ("entries", "owner", "actions", "activateTokenIntegration"),
        ("entries", "owner", "subjects", "nginx:ditto", "type"),
        ("entries", "owner", "resources", "thing:", "features", "x"),
        ("entries", "owner", "importable", "x"),
        ("entries", "owner", "namespaces", "0"),
        ("imports", "ns:tpl", "entries", "0"),
        ("imports", "ns:tpl", "unknown"),
        ("importsAliases",),
    ],
)
def test_classify_rejects_paths_ditto_has_no_route_for(path: Pointer) -> None:
    with pytest.raises(ResourceNotFound) as caught:
        classify_policy_path(path)
    assert (caught.value.code, caught.value.status) == ("gateway:resource.notfound", 404)
    assert "/" + "/".join(path) in caught.value.message


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("", ()),
        ("/", ()),
        ("/entries", ("entries",)),
        ("/entries/", ("entries",)),
        ("entries/owner", ("entries", "owner")),
        ("/entries/owner/subjects/", ("entries", "owner", "subjects")),
        ("/entries/owner/subjects/nginx:ditto", ("entries", "owner", "subjects", "nginx:ditto")),
        ("/entries/owner/subjects/https://idp:a/b", ("entries", "owner", "subjects", "https://idp:a/b")),
        ("/entries/owner/resources/thing:/", ("entries", "owner", "resources", "thing:/")),
        ("/entries/owner/resources/thing:/features/x", ("entries", "owner", "resources", "thing:/features/x")),
        ("/entries/owner/resources/thing:", ("entries", "owner", "resources", "thing:")),
        ("/imports/ns:tpl/transitiveImports", ("imports", "ns:tpl", "transitiveImports")),
    ],
)
def test_parse_policy_path_keeps_subject_ids_and_resource_keys_whole(text: str, path: Pointer) -> None:
    assert parse_policy_path(text) == path


def test_normalize_policy_path() -> None:
    assert normalize_policy_path(("entries", "o", "resources", "thing:features/x/")) == (
        "entries",
        "o",
        "resources",
        "thing:/features/x",
    )
    assert normalize_policy_path(("entries", "o", "subjects", ":bare")) == ("entries", "o", "subjects", "bare")
    for path, code in [
        (("entries", "imported-x"), "policies:label.invalid"),
        (("entries", "a\x01", "subjects"), "policies:entry.invalid"),
        (("entries", "o", "subjects", "no-issuer"), "policies:subjectid.invalid"),
        (("entries", "o", "resources", "custom:/"), "policies:entry.invalid"),
        (("imports", "bad", "entries"), "policies:id.invalid"),
    ]:
        with pytest.raises(TwinhubError) as caught:
            normalize_policy_path(path)
        assert caught.value.code == code


NOT_FOUND: list[tuple[Pointer, str, str]] = [
    ((), "policies:policy.notfound", f"The Policy with ID '{P}'"),
    (("entries",), "policies:policy.notfound", f"The Policy with ID '{P}'"),
    (("entries", "o"), "policies:entry.notfound", f"The PolicyEntry with Label 'o' on the Policy with ID '{P}'"),
    (
        ("entries", "o", "subjects"),
        "policies:subjects.notfound",
        f"The Subjects of the PolicyEntry with Label 'o' on the Policy with ID '{P}'",
    ),
    (
        ("entries", "o", "subjects", "a:b"),
        "policies:subject.notfound",
        f"The Subject with ID 'a:b' of the PolicyEntry with Label 'o' on the Policy with ID '{P}'",
    ),
    (
        ("entries", "o", "resources"),
        "policies:resources.notfound",
        f"The Resources of the PolicyEntry with Label 'o' on the Policy with ID '{P}'",
    ),
    (
        ("entries", "o", "resources", "thing:/x"),
        "policies:resource.notfound",
        f"The Resource 'thing:/x' of the PolicyEntry with Label 'o' on the Policy with ID '{P}'",
    ),
    (("entries", "o", "importable"), "policies:entry.notfound", "The PolicyEntry with Label 'o'"),
    (("entries", "o", "namespaces"), "policies:entry.notfound", "The PolicyEntry with Label 'o'"),
    (("entries", "o", "allowedAdditions"), "policies:entry.notfound", "The PolicyEntry with Label 'o'"),
    (("entries", "o", "references"), "policies:entry.notfound", "The PolicyEntry with Label 'o'"),
    (("imports",), "policies:imports.notfound", f"The imports of the Policy with ID '{P}'"),
    (("imports", "ns:i"), "policies:import.notfound", f"The Policy import 'ns:i' of Policy '{P}'"),
    (("imports", "ns:i", "entries"), "policies:import.notfound", f"The Policy import 'ns:i' of Policy '{P}'"),
    (("imports", "ns:i", "transitiveImports"), "policies:import.notfound", "The Policy import 'ns:i'"),
]


@pytest.mark.parametrize(("path", "code", "start"), NOT_FOUND)
def test_policy_not_found_has_dittos_codes_and_messages(path: Pointer, code: str, start: str) -> None:
    error = policy_not_found(P, path)
    assert (error.code, error.status) == (code, 404)
    assert error.message.startswith(start)
    assert error.message.endswith(" could not be found or requester had insufficient permissions to access it.")
    assert error.description and error.description.endswith("you have sufficient permissions.")


def test_not_found_messages_exactly() -> None:
    assert policy_not_found(P, ("entries", "o", "resources", "thing:/x")).description == (
        "Check if the ID of the Policy, the Label of the PolicyEntry and the path of your requested Resource was "
        "correct and you have sufficient permissions."
    )
    assert policy_not_found(P, ("imports", "ns:i")).description == (
        "Check if the ID of the Policy and the imported Policy was correct and you have sufficient permissions."
    )


NOT_MODIFIABLE: list[tuple[Pointer, str, str]] = [
    ((), "policies:policy.notmodifiable", f"The Policy with ID '{P}'"),
    (("entries",), "policies:policy.notmodifiable", f"The Policy with ID '{P}'"),
    (("entries", "o"), "policies:entry.notmodifiable", f"The PolicyEntry with Label 'o' on the Policy with ID '{P}'"),
    (("entries", "o", "subjects"), "policies:subjects.notmodifiable", "The Subjects of the PolicyEntry"),
    (("entries", "o", "subjects", "a:b"), "policies:subject.notmodifiable", "The Subject with ID 'a:b' of"),
    (("entries", "o", "resources"), "policies:resources.notmodifiable", "The Resources of the PolicyEntry"),
    (("entries", "o", "resources", "thing:/"), "policies:resource.notmodifiable", "The Resource 'thing:/' of"),
    (("entries", "o", "importable"), "policies:entry.notmodifiable", "The PolicyEntry with Label 'o'"),
    (("entries", "o", "namespaces"), "policies:entry.notmodifiable", "The PolicyEntry with Label 'o'"),
    (("entries", "o", "allowedAdditions"), "policies:entry.notmodifiable", "The PolicyEntry with Label 'o'"),
    (("entries", "o", "references"), "policies:entry.notmodifiable", "The PolicyEntry with Label 'o'"),
    (("imports",), "policies:imports.notmodifiable", f"The Imports of the Policy with ID '{P}'"),
    (
        ("imports", "ns:i"),
        "policies:import.notmodifiable",
        f"The Import of the Policy with ID 'ns:i' in Policy with ID '{P}'",
    ),
    (("imports", "ns:i", "entries"), "policies:import.notmodifiable", "The Import of the Policy with ID 'ns:i'"),
    (("imports", "ns:i", "transitiveImports"), "policies:import.notmodifiable", "The Import of the Policy"),
]


@pytest.mark.parametrize(("path", "code", "start"), NOT_MODIFIABLE)
def test_policy_not_modifiable_has_dittos_codes_and_messages(path: Pointer, code: str, start: str) -> None:
    error = policy_not_modifiable(P, path)
    assert (error.code, error.status) == (code, 403)
    assert error.message.startswith(start)
    assert error.message.endswith(" could not be modified as the requester had insufficient permissions.")
    assert error.description and error.description.endswith("you have sufficient permissions.")


def test_not_found_and_not_modifiable_word_their_descriptions_as_ditto_does() -> None:
    subjects = ("entries", "o", "subjects")
    assert policy_not_found(P, subjects).description == (
        "Check if the ID of the Policy and the Label of the PolicyEntry was correct and you have sufficient "
        "permissions."
    )
    assert policy_not_modifiable(P, subjects).description == (
        "Check if the ID of the Policy and the PolicyEntry's Label of your requested Subjects was correct and you "
        "have sufficient permissions."
    )
    subject = ("entries", "o", "subjects", "a:b")
    assert policy_not_found(P, subject).description == policy_not_modifiable(P, subject).description == (
        "Check if the ID of the Policy, the Label of the PolicyEntry and ID of your requested Subject was correct "
        "and you have sufficient permissions."
    )
    assert policy_not_modifiable(P, ("entries", "o", "resources")).description == (
        "Check if the ID of the Policy and the PolicyEntry's Label of your requested Resources was correct and you "
        "have sufficient permissions."
    )


def test_not_found_and_not_modifiable_cover_every_resource() -> None:
    assert {classify_policy_path(path) for path, _, _ in NOT_FOUND} == set(PolicyResource)
    assert {classify_policy_path(path) for path, _, _ in NOT_MODIFIABLE} == set(PolicyResource)


DOC: JsonObject = validate_policy(
    {
        "imports": {"ns:tpl": {"entries": ["EXPL"]}, "ns:bare": {}},
        "entries": {
            "owner": {
                "subjects": {"nginx:a": {"type": "t"}},
                "resources": {"policy:/": {"grant": ["WRITE"]}, "thing:/features/x": {"grant": ["READ"]}},
            },
            "scoped": {
                "namespaces": ["com.acme"],
                "allowedAdditions": ["subjects"],
                "references": [{"entry": "owner"}],
            },
        },
    },
    P,
    now=NOW,
)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ((), DOC),
        (("entries",), DOC["entries"]),
        (("entries", "owner", "subjects"), {"nginx:a": {"type": "t"}}),
        (("entries", "owner", "subjects", "nginx:a"), {"type": "t"}),
        (("entries", "owner", "resources", "thing:/features/x"), {"grant": ["READ"], "revoke": []}),
        (("entries", "owner", "resources", "thing:features/x/"), {"grant": ["READ"], "revoke": []}),
        (("entries", "owner", "importable"), "implicit"),
        (("entries", "owner", "allowedAdditions"), []),
        (("entries", "owner", "references"), []),
        (("entries", "scoped", "namespaces"), ["com.acme"]),
        (("entries", "scoped", "allowedAdditions"), ["subjects"]),
        (("entries", "scoped", "references"), [{"entry": "owner"}]),
        (("imports",), DOC["imports"]),
        (("imports", "ns:tpl"), {"entries": ["EXPL"]}),
        (("imports", "ns:tpl", "entries"), ["EXPL"]),
        (("imports", "ns:tpl", "transitiveImports"), []),
        (("imports", "ns:bare", "entries"), []),
    ],
)
def test_retrieve_policy_part(path: Pointer, value: JsonValue) -> None:
    assert retrieve_policy_part(DOC, P, path) == value


@pytest.mark.parametrize(
    ("path", "code"),
    [
        (("entries", "owner", "namespaces"), "policies:entry.notfound"),
        (("entries", "nobody"), "policies:entry.notfound"),
        (("entries", "nobody", "subjects", "nginx:a"), "policies:entry.notfound"),
        (("entries", "nobody", "importable"), "policies:entry.notfound"),
        (("entries", "owner", "subjects", "nginx:b"), "policies:subject.notfound"),
        (("entries", "owner", "resources", "thing:/"), "policies:resource.notfound"),
        (("imports", "ns:other"), "policies:import.notfound"),
        (("imports", "ns:other", "entries"), "policies:import.notfound"),
    ],
)
def test_retrieve_missing_parts(path: Pointer, code: str) -> None:
    with pytest.raises(TwinhubError) as caught:
        retrieve_policy_part(DOC, P, path)
    assert (caught.value.code, caught.value.status) == (code, 404)


def test_missing_policy_part_names_the_missing_entry_or_import() -> None:
    assert missing_policy_part(DOC, P, ("entries", "x", "resources", "thing:/")).code == "policies:entry.notfound"
    assert missing_policy_part(DOC, P, ("entries", "owner", "resources", "thing:/")).code == (
        "policies:resource.notfound"
    )
    assert missing_policy_part(DOC, P, ("imports", "ns:x", "entries")).code == "policies:import.notfound"
    assert missing_policy_part(DOC, P, ("imports", "ns:tpl", "entries")).code == "policies:import.notfound"
    assert missing_policy_part(DOC, P, ()).code == "policies:policy.notfound"


PARTS: list[tuple[Pointer, JsonValue, JsonValue]] = [
    ((), {"entries": {}}, {"policyId": P, "imports": {}, "entries": {}}),
    (("entries",), {"e": {}}, {"e": {"subjects": {}, "resources": {}, "importable": "implicit"}}),
    (("entries", "e"), {"importable": "never"}, {"subjects": {}, "resources": {}, "importable": "never"}),
    (
        ("entries", "e", "subjects"),
        {"a:b": {"type": "t", "expiry": "2030-01-01T10:31:00Z"}},
        {"a:b": {"type": "t", "expiry": "2030-01-01T11:00:00Z"}},
    ),
    (("entries", "e", "subjects", "a:b"), {"type": "t", "x": 1}, {"type": "t"}),
    (("entries", "e", "resources"), {"thing:": {"grant": ["READ"]}}, {"thing:/": {"grant": ["READ"], "revoke": []}}),
    (("entries", "e", "resources", "thing:/x"), {"revoke": ["WRITE"]}, {"grant": [], "revoke": ["WRITE"]}),
    (("entries", "e", "importable"), "explicit", "explicit"),
    (("entries", "e", "namespaces"), ["a", "a.*", "a"], ["a", "a.*"]),
    (("entries", "e", "allowedAdditions"), ["resources"], ["resources"]),
    (("entries", "e", "references"), [{"entry": "x", "import": "ns:i"}], [{"import": "ns:i", "entry": "x"}]),
    (("imports",), {"ns:i": {"entries": ["A"]}}, {"ns:i": {"entries": ["A"]}}),
    (("imports", "ns:i"), {"transitiveImports": ["ns:j"]}, {"entries": [], "transitiveImports": ["ns:j"]}),
    (("imports", "ns:i", "entries"), ["A", "B", "A"], ["A", "B"]),
    (("imports", "ns:i", "transitiveImports"), ["ns:j"], ["ns:j"]),
]


@pytest.mark.parametrize(("path", "value", "normalized"), PARTS)
def test_validate_policy_part(path: Pointer, value: JsonValue, normalized: JsonValue) -> None:
    resource = classify_policy_path(path)
    assert validate_policy_part(resource, value, P, path, now=NOW) == normalized


def test_validate_policy_part_covers_every_resource() -> None:
    assert {classify_policy_path(path) for path, _, _ in PARTS} == set(PolicyResource)


@pytest.mark.parametrize(
    ("path", "value", "code"),
    [
        ((), {"policyId": "ns:other"}, "policies:id.notsettable"),
        (("entries", "imported-e"), {}, "policies:label.invalid"),
        (("entries", "e", "subjects", "no-issuer"), {"type": "t"}, "policies:subjectid.invalid"),
        (
            ("entries", "e", "subjects", "a:b"),
            {"type": "t", "expiry": "2030-01-01T09:00:00Z"},
            "policies:subjectexpiry.invalid",
        ),
        (("entries", "e", "subjects", "a:b"), {}, "json.field.missing"),
        (("entries", "e", "resources", "thing:/a//b"), {}, "json.pointer.invalid"),
        (("entries", "e", "importable"), "sometimes", "policies:entry.invalid"),
        (("entries", "e", "importable"), ["implicit"], "json.invalid"),
        (("entries", "e", "namespaces"), ["*"], "policies:entry.invalid"),
        (("imports", P), {}, "policies:import.invalid"),
        (("imports", "ns:i", "transitiveImports"), [P], "policies:import.invalid"),
        (("imports",), {f"ns:i{i}": {} for i in range(11)}, "policies:imports.toolarge"),
        (("imports", "ns:i", "entries"), "A", "json.invalid"),
    ],
)
def test_validate_policy_part_errors(path: Pointer, value: JsonValue, code: str) -> None:
    with pytest.raises(TwinhubError) as caught:
        validate_policy_part(classify_policy_path(path), value, P, path, now=NOW)
    assert caught.value.code == code


def test_validate_policy_part_needs_the_resource_of_the_path() -> None:
    with pytest.raises(ValueError, match="no subjects resource"):
        validate_policy_part(PolicyResource.SUBJECTS, {}, P, ("entries", "e"), now=NOW)


def test_validate_whole_policy_part_checks_size() -> None:
    with pytest.raises(TwinhubError) as caught:
        validate_policy_part(PolicyResource.POLICY, {}, P, (), now=NOW, max_size=10)
    assert (caught.value.code, caught.value.status) == ("policies:policy.toolarge", 413)
