from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinhub.model.errors import TwinhubError
from twinhub.model.policy import (
    check_lockout,
    check_policy_size,
    default_policy,
    drop_expired_subjects,
    format_expiry,
    namespace_matches,
    next_expiry,
    parse_expiry,
    policy_size,
    round_expiry,
    validate_label,
    validate_policy,
    validate_resource_key,
    validate_subject_id,
)
from twinhub.model.types import JsonObject, JsonValue

POLICY_ID = "org.eclipse.ditto:policy"
NOW = datetime(2030, 1, 1, 10, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)


def validate(value: JsonValue, **kwargs: object) -> JsonObject:
    return validate_policy(value, POLICY_ID, now=NOW, expiry_granularity=HOUR, **kwargs)  # type: ignore[arg-type]


def entry(**fields: JsonValue) -> JsonObject:
    base: JsonObject = {
        "subjects": {"nginx:ditto": {"type": "t"}},
        "resources": {"policy:/": {"grant": ["READ", "WRITE"], "revoke": []}},
    }
    base.update(fields)
    return base


def policy(**entries: JsonValue) -> JsonObject:
    return {"entries": dict(entries)}


@contextmanager
def raises(code: str, status: int = 400) -> Iterator[None]:
    with pytest.raises(TwinhubError) as caught:
        yield
    assert (caught.value.code, caught.value.status) == (code, status), repr(caught.value)


def dig(value: JsonValue, *keys: str) -> JsonValue:
    for key in keys:
        assert isinstance(value, dict), value
        value = value[key]
    return value


def error_of(value: JsonValue, **kwargs: object) -> TwinhubError:
    with pytest.raises(TwinhubError) as caught:
        validate(value, **kwargs)
    return caught.value


# -- the document ---------------------------------------------------------------------------------------------


def test_normalizes_ditto_example_in_field_order_and_drops_unknown_fields() -> None:
    body: JsonObject = {
        "extra": True,
        "_revision": 3,
        "entries": {
            "owner": {
                "references": [{"entry": "local"}, {"entry": "operator", "import": "ns:tpl"}],
                "allowedAdditions": ["subjects", "resources", "subjects"],
                "importable": "explicit",
                "namespaces": ["com.acme", "com.acme.*"],
                "resources": {
                    "message:/": {"revoke": [], "grant": ["READ", "WRITE"], "other": 1},
                    "thing:/": {"grant": ["READ", "WRITE"], "revoke": []},
                },
                "subjects": {
                    "nginx:ditto": {
                        "announcement": {"beforeExpiry": "1h", "whenDeleted": True},
                        "expiry": "2099-12-31T23:59:59Z",
                        "type": "free text",
                        "unknown": "x",
                    }
                },
                "comment": "dropped",
            }
        },
        "imports": {"ns:tpl": {"transitiveImports": ["ns:root"], "entries": ["EXPLICIT"]}},
        "policyId": POLICY_ID,
    }
    result = validate(body)
    assert result == {
        "policyId": POLICY_ID,
        "imports": {"ns:tpl": {"entries": ["EXPLICIT"], "transitiveImports": ["ns:root"]}},
        "entries": {
            "owner": {
                "subjects": {
                    "nginx:ditto": {
                        "type": "free text",
                        "expiry": "2100-01-01T00:00:00Z",
                        "announcement": {"beforeExpiry": "1h", "whenDeleted": True},
                    }
                },
                "resources": {
                    "message:/": {"grant": ["READ", "WRITE"], "revoke": []},
                    "thing:/": {"grant": ["READ", "WRITE"], "revoke": []},
                },
                "namespaces": ["com.acme", "com.acme.*"],
                "importable": "explicit",
                "allowedAdditions": ["subjects", "resources"],
                "references": [{"entry": "local"}, {"import": "ns:tpl", "entry": "operator"}],
            }
        },
    }
    assert list(result) == ["policyId", "imports", "entries"]
    owner = dig(result, "entries", "owner")
    assert list(owner) == ["subjects", "resources", "namespaces", "importable", "allowedAdditions", "references"]  # type: ignore[arg-type]
    assert list(dig(owner, "subjects", "nginx:ditto")) == ["type", "expiry", "announcement"]  # type: ignore[arg-type]


def test_minimal_policy_gets_id_empty_imports_and_default_importable() -> None:
    assert validate({}) == {"policyId": POLICY_ID, "imports": {}, "entries": {}}
    assert validate({"entries": {"e": {}}}) == {
        "policyId": POLICY_ID,
        "imports": {},
        "entries": {"e": {"subjects": {}, "resources": {}, "importable": "implicit"}},
    }
    assert validate({"entries": None, "imports": None})["entries"] == {}


def test_validation_is_idempotent() -> None:
    once = validate({"entries": {"owner": entry(namespaces=["a"], references=[{"entry": "x"}])}})
    assert validate(once) == once


def test_body_policy_id_must_equal_path_id() -> None:
    assert validate({"policyId": POLICY_ID})["policyId"] == POLICY_ID
    for other in ("org.eclipse.ditto:other", None, 42):
        error = error_of({"policyId": other})
        assert (error.code, error.status) == ("policies:id.notsettable", 400)
        assert error.message == "The Policy ID in the request body is not equal to the Policy ID in the request URL."


def test_path_id_must_be_a_policy_id() -> None:
    with raises("policies:id.invalid"):
        validate_policy({}, "no-namespace-separator", now=NOW, expiry_granularity=HOUR)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([], "<[]> is not a JSON object!"),
        ({"entries": []}, "Value <[]> for </entries> is not of type <JsonObject>!"),
        ({"imports": "x"}, 'Value <"x"> for </imports> is not of type <JsonObject>!'),
        ({"entries": {"e": 1}}, "<1> is not a JSON object!"),
        ({"entries": {"e": {"subjects": []}}}, "Value <[]> for </subjects> is not of type <JsonObject>!"),
        ({"entries": {"e": {"resources": 1}}}, "Value <1> for </resources> is not of type <JsonObject>!"),
        ({"entries": {"e": {"namespaces": "a"}}}, 'Value <"a"> for </namespaces> is not of type <JsonArray>!'),
        ({"entries": {"e": {"importable": 1}}}, "Value <1> for </importable> is not of type <String>!"),
        (
            {"entries": {"e": {"allowedAdditions": {}}}},
            "Value <{}> for </allowedAdditions> is not of type <JsonArray>!",
        ),
        ({"entries": {"e": {"references": {}}}}, "Value <{}> for </references> is not of type <JsonArray>!"),
    ],
)
def test_fields_of_the_wrong_type_are_json_invalid(value: JsonValue, message: str) -> None:
    error = error_of(value)
    assert (error.code, error.status, error.message) == ("json.invalid", 400, message)


# -- labels -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", ["DEFAULT", "owner", "import", "a-imported", "Imported", "日本", "a b", "x" * 256])
def test_valid_labels(label: str) -> None:
    assert validate_label(label) == label
    assert label in dig(validate({"entries": {label: {}}}), "entries")  # type: ignore[operator]


@pytest.mark.parametrize("label", ["imported", "imported-ns:p-owner", "importedX", "nsimported", "nsimported-x"])
def test_labels_with_blocklisted_prefix_are_label_invalid(label: str) -> None:
    error = error_of({"entries": {label: {}}})
    assert (error.code, error.message) == ("policies:label.invalid", f"Label '{label}' is not valid!")
    assert error.description == "It must not start with the blocklisted 'imported' or 'nsimported' prefix."


@pytest.mark.parametrize(
    ("label", "reason"),
    [
        ("a/b", "Neither slashes nor any control characters are allowed."),
        ("/", "Neither slashes nor any control characters are allowed."),
        ("a\x00b", "Neither slashes nor any control characters are allowed."),
        ("tab\t", "Neither slashes nor any control characters are allowed."),
        ("del\x7f", "Neither slashes nor any control characters are allowed."),
        ("umlaut-ä", "Neither slashes nor any control characters are allowed."),
        ("x" * 257, "Not allowed to exceed length of 256."),
    ],
)
def test_labels_with_slashes_or_control_chars_are_entry_invalid(label: str, reason: str) -> None:
    error = error_of({"entries": {label: {}}})
    assert (error.code, error.message, error.description) == (
        "policies:entry.invalid",
        f"The Policy Label {label} is invalid",
        reason,
    )


def test_empty_label_is_json_format_invalid() -> None:
    error = error_of({"entries": {"": {}}})
    assert (error.code, error.message) == ("json.format.invalid", "The argument 'label value' must not be empty!")


# -- subjects ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject_id", "normalized"),
    [
        ("nginx:ditto", "nginx:ditto"),
        ("google:1234:extra", "google:1234:extra"),
        ("https://accounts.google.com:sub", "https://accounts.google.com:sub"),
        ("integration:{{policy-entry:label}}:{{jwt:aud}}", "integration:{{policy-entry:label}}:{{jwt:aud}}"),
        ("{{ jwt:sub }}", "{{ jwt:sub }}"),
        ("${legacy}", "${legacy}"),
        (":subject-without-issuer", "subject-without-issuer"),
        ("issuer:with/slash", "issuer:with/slash"),
    ],
)
def test_subject_ids(subject_id: str, normalized: str) -> None:
    assert validate_subject_id(subject_id) == normalized


@pytest.mark.parametrize(
    ("subject_id", "description"),
    [
        ("no-issuer", "It must contain an issuer as prefix separated by a colon ':' from the actual subject"),
        ("https://no-subject", "It must contain an issuer as prefix separated by a colon ':' from the actual subject"),
        ("nginx:a\x01", "No control characters are allowed."),
        ("nginx:ä", "No control characters are allowed."),
        ("nginx:" + "x" * 251, "Not allowed to exceed length of 256."),
    ],
)
def test_invalid_subject_ids(subject_id: str, description: str) -> None:
    error = error_of(policy(e=entry(subjects={subject_id: {"type": "t"}})))
    assert (error.code, error.status, error.description) == ("policies:subjectid.invalid", 400, description)
    assert error.message == f"Subject ID '{subject_id}' is not valid!"


def test_subject_id_of_exactly_256_chars_is_valid() -> None:
    assert validate_subject_id("nginx:" + "x" * 250) == "nginx:" + "x" * 250


@pytest.mark.parametrize(("subject_id", "argument"), [("google:", "subject"), ("", "subjectIssuerWithId")])
def test_empty_subject_is_json_format_invalid(subject_id: str, argument: str) -> None:
    error = error_of(policy(e=entry(subjects={subject_id: {"type": "t"}})))
    assert (error.code, error.message) == ("json.format.invalid", f"The argument '{argument}' must not be empty!")


def test_subject_type_is_required_and_a_non_empty_string() -> None:
    missing: list[JsonValue] = [{}, {"type": None}]
    for subject in missing:
        error = error_of(policy(e=entry(subjects={"a:b": subject})))
        assert (error.code, error.message) == ("json.field.missing", "The 'type' for the 'subject' is missing.")
    with raises("json.invalid"):
        validate(policy(e=entry(subjects={"a:b": {"type": 1}})))
    with raises("json.format.invalid"):
        validate(policy(e=entry(subjects={"a:b": {"type": ""}})))
    with raises("json.invalid"):
        validate(policy(e=entry(subjects={"a:b": "type"})))


def test_announcement_is_kept_as_is_but_must_be_an_object() -> None:
    announcement: JsonObject = {"whenDeleted": True, "requestedAcks": {"labels": ["c:ack"], "timeout": "10s"}}
    result = validate(policy(e=entry(subjects={"a:b": {"type": "t", "announcement": announcement}})))
    assert dig(result, "entries", "e", "subjects", "a:b", "announcement") == announcement
    with raises("json.invalid"):
        validate(policy(e=entry(subjects={"a:b": {"type": "t", "announcement": "soon"}})))


# -- expiry -----------------------------------------------------------------------------------------------------


def subject_expiry(expiry: str, granularity: timedelta = HOUR, now: datetime = NOW) -> JsonValue:
    body = policy(e=entry(subjects={"a:b": {"type": "t", "expiry": expiry}}))
    result = validate_policy(body, POLICY_ID, now=now, expiry_granularity=granularity)
    return dig(result, "entries", "e", "subjects", "a:b", "expiry")


@pytest.mark.parametrize(
    ("granularity", "expiry", "rounded"),
    [
        (HOUR, "2030-01-01T10:20:00Z", "2030-01-01T11:00:00Z"),
        (HOUR, "2030-01-01T11:00:00Z", "2030-01-01T11:00:00Z"),
        (HOUR, "2030-01-01T11:00:00.001Z", "2030-01-01T12:00:00Z"),
        (HOUR, "2030-01-01T11:00:00.000000001Z", "2030-01-01T12:00:00Z"),
        (HOUR, "2030-01-01T10:59:59.999999999Z", "2030-01-01T11:00:00Z"),
        (HOUR, "2030-01-01T23:20:00Z", "2030-01-02T00:00:00Z"),
        (HOUR, "2030-12-31T23:00:01Z", "2031-01-01T00:00:00Z"),
        (HOUR, "2030-01-01T12:20:00+02:00", "2030-01-01T11:00:00Z"),
        (HOUR, "2030-01-01T10:20:00-05:30", "2030-01-01T16:00:00Z"),
        (timedelta(hours=2), "2030-01-01T11:00:00Z", "2030-01-01T12:00:00Z"),
        (timedelta(hours=2), "2030-01-01T12:00:00Z", "2030-01-01T12:00:00Z"),
        (timedelta(hours=2), "2030-01-01T10:20:00Z", "2030-01-01T12:00:00Z"),
        (timedelta(minutes=15), "2030-01-01T10:31:00Z", "2030-01-01T10:45:00Z"),
        (timedelta(minutes=15), "2030-01-01T10:45:00Z", "2030-01-01T10:45:00Z"),
        (timedelta(minutes=90), "2030-01-01T10:40:00Z", "2030-01-01T11:00:00Z"),  # Ditto: 90min counts as 1h
        (timedelta(days=1), "2030-01-01T10:40:00Z", "2030-01-02T00:00:00Z"),
        (timedelta(days=2), "2030-01-31T10:40:00Z", "2030-02-02T00:00:00Z"),  # counted from the 1st of the month
        (timedelta(seconds=1), "2030-01-01T10:40:00.2Z", "2030-01-01T10:40:01Z"),
        (timedelta(milliseconds=1), "2030-01-01T10:40:00.0001Z", "2030-01-01T10:40:00.001Z"),
        (timedelta(0), "2030-01-01T10:40:00.123456Z", "2030-01-01T10:40:00.123456Z"),
        (timedelta(0), "2030-01-01T10:40:00.500Z", "2030-01-01T10:40:00.500Z"),
    ],
)
def test_expiry_is_rounded_up_to_the_granularity(granularity: timedelta, expiry: str, rounded: str) -> None:
    assert subject_expiry(expiry, granularity) == rounded


def test_expiry_is_checked_after_rounding() -> None:
    # 10:20 is before now (10:30) but rounds up to 11:00, as in Ditto's strategies
    assert subject_expiry("2030-01-01T10:20:00Z") == "2030-01-01T11:00:00Z"


@pytest.mark.parametrize(
    ("expiry", "now", "shown"),
    [
        ("2030-01-01T10:00:00Z", NOW, "2030-01-01T10:00:00Z"),
        ("2029-06-01T10:20:00Z", NOW, "2029-06-01T11:00:00Z"),
        ("2030-01-01T11:00:00Z", datetime(2030, 1, 1, 11, tzinfo=UTC), "2030-01-01T11:00:00Z"),
        ("2030-01-01T11:00:00Z", datetime(2030, 1, 1, 11), "2030-01-01T11:00:00Z"),  # naive now is UTC
    ],
)
def test_expiry_at_or_before_now_is_invalid(expiry: str, now: datetime, shown: str) -> None:
    with pytest.raises(TwinhubError) as caught:
        subject_expiry(expiry, now=now)
    error = caught.value
    assert (error.code, error.status) == ("policies:subjectexpiry.invalid", 400)
    assert error.message == f"Subject expiry timestamp '{shown}' is not valid."
    assert error.description == "It must not be in the past, please adjust to a timestamp in the future."


@pytest.mark.parametrize(
    "expiry",
    [
        "tomorrow",
        "2030-01-01",
        "2030-01-01T10:00Z",
        "2030-01-01T10:00:00",
        "2030-01-01 10:00:00Z",
        "2030-13-01T10:00:00Z",
        "2030-02-30T10:00:00Z",
        "2030-01-01T24:00:00Z",
        "2030-01-01T10:00:00.1234567890Z",
        "2030-01-01T10:00:00+0100",
    ],
)
def test_unparsable_expiry_is_invalid(expiry: str) -> None:
    with pytest.raises(TwinhubError) as caught:
        subject_expiry(expiry)
    assert caught.value.code == "policies:subjectexpiry.invalid"
    assert caught.value.message == f"Subject expiry timestamp '{expiry}' is not valid."
    assert caught.value.description == "It must be provided as ISO-8601 formatted char sequence."


def test_expiry_must_be_a_string() -> None:
    with raises("json.invalid"):
        subject_expiry(1893456000)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        ("2030-01-01T10:00:00Z", "2030-01-01T10:00:00Z"),
        ("2030-01-01T10:00:00.000Z", "2030-01-01T10:00:00Z"),
        ("2030-01-01T10:00:00.1Z", "2030-01-01T10:00:00.100Z"),
        ("2030-01-01T10:00:00.123400Z", "2030-01-01T10:00:00.123400Z"),
        ("2030-01-01T10:00:00+01:00", "2030-01-01T09:00:00Z"),
        ("2030-01-01T10:00:00+01:00:30", "2030-01-01T08:59:30Z"),
        ("2030-01-01t10:00:00z", "2030-01-01T10:00:00Z"),
        ("0999-01-01T10:00:00Z", "0999-01-01T10:00:00Z"),
    ],
)
def test_expiry_renders_like_java_instant(text: str, rendered: str) -> None:
    assert format_expiry(parse_expiry(text)) == rendered


_DIVIDING = (
    [timedelta(hours=h) for h in (1, 2, 3, 4, 6, 8, 12)]
    + [timedelta(minutes=m) for m in (1, 5, 15, 30)]
    + [timedelta(seconds=s) for s in (1, 10, 30)]
)


@given(
    moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
    granularity=st.sampled_from(_DIVIDING),
)
def test_rounding_is_up_by_less_than_the_granularity_and_idempotent(moment: datetime, granularity: timedelta) -> None:
    rounded = round_expiry(moment, granularity)
    assert moment <= rounded < moment + granularity
    assert round_expiry(rounded, granularity) == rounded
    assert (rounded - rounded.replace(hour=0, minute=0, second=0, microsecond=0)) % granularity == timedelta(0)


# -- resources --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "normalized"),
    [
        ("thing:/", "thing:/"),
        ("thing:", "thing:/"),
        ("thing:/features/lamp/properties/on", "thing:/features/lamp/properties/on"),
        ("thing:features/lamp", "thing:/features/lamp"),
        ("thing:/features/lamp/", "thing:/features/lamp"),
        ("policy:/entries/X/subjects/Y", "policy:/entries/X/subjects/Y"),
        ("message:/inbox/messages/a:b", "message:/inbox/messages/a:b"),
    ],
)
def test_resource_keys_are_normalized(key: str, normalized: str) -> None:
    assert validate_resource_key(key) == normalized
    result = validate(policy(e=entry(resources={key: {"grant": ["READ"], "revoke": []}})))
    assert list(dig(result, "entries", "e", "resources")) == [normalized]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("key", "code"),
    [
        ("", "json.format.invalid"),
        ("thing", "json.invalid"),
        (":/x", "json.format.invalid"),
        ("things:/", "policies:entry.invalid"),
        ("custom:/x", "policies:entry.invalid"),
        ("thing:/a\x01", "policies:entry.invalid"),
        ("thing:/" + "x" * 250, "policies:entry.invalid"),
        ("thing:/a//b", "json.pointer.invalid"),
    ],
)
def test_invalid_resource_keys(key: str, code: str) -> None:
    with raises(code):
        validate(policy(e=entry(resources={key: {"grant": ["READ"], "revoke": []}})))


def test_resource_permissions() -> None:
    def normalized(value: JsonValue) -> JsonValue:
        result = validate(policy(e=entry(resources={"thing:/": value})))
        return dig(result, "entries", "e", "resources", "thing:/")

    assert normalized({}) == {"grant": [], "revoke": []}
    assert normalized({"grant": None, "revoke": None}) == {"grant": [], "revoke": []}
    assert normalized({"revoke": ["WRITE"], "grant": ["READ", "READ", "EXECUTE"]}) == {
        "grant": ["READ", "EXECUTE"],
        "revoke": ["WRITE"],
    }
    assert normalized({"grant": ["READ", 1, None, {}]}) == {"grant": ["READ"], "revoke": []}


def test_invalid_resource_values() -> None:
    error = error_of(policy(e=entry(resources={"thing:/": ["READ"]})))
    assert (error.code, error.message) == (
        "json.invalid",
        "The JSON object for the 'permissions' (grant/revoke) of the 'resource' 'thing:/' is missing or not an object.",
    )
    with raises("json.invalid"):
        validate(policy(e=entry(resources={"thing:/": {"grant": "READ"}})))



def test_any_permission_name_is_kept() -> None:
    """Ditto's ImmutableEffectedPermissions.fromJson keeps every string: a name no check asks for is no error."""
    for permission in ("read", "ADMINISTRATE", ""):
        doc = validate(policy(e=entry(resources={"thing:/": {"grant": [permission], "revoke": [permission]}})))
        assert dig(doc, "entries", "e", "resources", "thing:/") == {"grant": [permission], "revoke": [permission]}


# -- importable, namespaces, allowedAdditions, references ------------------------------------------------------------


@pytest.mark.parametrize("importable", ["implicit", "explicit", "never"])
def test_importable_values(importable: str) -> None:
    assert dig(validate(policy(e=entry(importable=importable))), "entries", "e", "importable") == importable


@pytest.mark.parametrize("importable", ["IMPLICIT", "always", ""])
def test_invalid_importable(importable: str) -> None:
    error = error_of(policy(e=entry(importable=importable)))
    assert (error.code, error.message) == ("policies:entry.invalid", "The Policy Entry is invalid.")
    assert error.description == (
        f"The value '{importable}' of field '/importable' is not valid. Valid values are: [implicit, explicit, never]"
    )


def test_namespaces_are_deduplicated_and_kept_even_when_empty() -> None:
    def namespaces(value: JsonValue) -> JsonValue:
        return dig(validate(policy(e=entry(namespaces=value))), "entries", "e", "namespaces")

    assert namespaces(["com.acme", "com.acme.*", "com.acme", "a-b.c_d", "x"]) == [
        "com.acme",
        "com.acme.*",
        "a-b.c_d",
        "x",
    ]
    assert namespaces([]) == []


@pytest.mark.parametrize(
    "pattern", ["", ".*", "*", "com..acme", "1com", "com.*.x", "com.acme.", "com acme", "com.acme**"]
)
def test_invalid_namespace_patterns(pattern: str) -> None:
    error = error_of(policy(e=entry(namespaces=[pattern])))
    assert (error.code, error.status) == ("policies:entry.invalid", 400)
    assert error.description == (
        f"The value '{pattern}' is not a valid namespace pattern. Valid patterns are namespaces like 'com.acme' "
        "or wildcard patterns like 'com.acme.*'."
    )


def test_non_string_namespace_is_entry_invalid() -> None:
    error = error_of(policy(e=entry(namespaces=["a", 1])))
    assert error.code == "policies:entry.invalid"
    assert error.description == "The 'namespaces' array must only contain string values, but contained: 1."


@pytest.mark.parametrize(
    ("patterns", "namespace", "matches"),
    [
        (None, "any", True),
        ([], "any", True),
        (["com.acme"], "com.acme", True),
        (["com.acme"], "com.acme.vehicles", False),
        (["com.acme.*"], "com.acme.vehicles", True),
        (["com.acme.*"], "com.acme.vehicles.trucks", True),
        (["com.acme.*"], "com.acme", False),
        (["com.acme.*"], "com.acmex", False),
        (["com.acme.*"], "com.acmex.y", False),
        (["com.acme", "com.acme.*"], "com.acme", True),
        (["org.other"], "com.acme", False),
    ],
)
def test_namespace_patterns(patterns: JsonValue, namespace: str, matches: bool) -> None:
    assert namespace_matches(patterns, namespace) is matches


def test_invalid_allowed_additions() -> None:
    error = error_of(policy(e=entry(allowedAdditions=["subjects", "everything"])))
    assert (error.code, error.description) == (
        "policies:entry.invalid",
        "The value 'everything' is not a valid allowedAddition. Valid values are: [subjects, resources, namespaces].",
    )
    error = error_of(policy(e=entry(allowedAdditions=["subjects", 2])))
    assert error.description == (
        "The 'allowedAdditions' array contains a non-string element at index 1: 2. Every element must be a "
        "string from [subjects, resources, namespaces]."
    )
    assert dig(validate(policy(e=entry(allowedAdditions=[]))), "entries", "e", "allowedAdditions") == []


def test_empty_references_are_not_rendered() -> None:
    assert "references" not in dig(validate(policy(e=entry(references=[]))), "entries", "e")  # type: ignore[operator]


@pytest.mark.parametrize(
    ("reference", "code", "message"),
    [
        ("x", "policies:entry.invalid", "The Policy Entry is invalid."),
        ({}, "json.field.missing", "JSON did not include required </entry> field!"),
        ({"entry": 1}, "json.invalid", "Value <1> for </entry> is not of type <String>!"),
        ({"entry": "imported-x"}, "policies:label.invalid", "Label 'imported-x' is not valid!"),
        (
            {"entry": "e", "import": None},
            "json.invalid",
            "The 'import' field of an entry reference must be a non-empty string. Received: null.",
        ),
        (
            {"entry": "e", "import": ""},
            "json.invalid",
            "The 'import' field of an entry reference must be a non-empty string. Received: \"\".",
        ),
        (
            {"entry": "e", "import": 42},
            "json.invalid",
            "The 'import' field of an entry reference must be a non-empty string. Received: 42.",
        ),
        ({"entry": "e", "import": "not-an-id"}, "policies:id.invalid", "Policy ID 'not-an-id' is not valid!"),
    ],
)
def test_invalid_references(reference: JsonValue, code: str, message: str) -> None:
    error = error_of(policy(e=entry(references=[reference])))
    assert (error.code, error.message) == (code, message)


# -- imports ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "normalized"),
    [
        ({}, {}),
        ({"entries": []}, {"entries": []}),
        ({"transitiveImports": []}, {"entries": []}),
        ({"entries": ["A", 1, "B", "A"], "other": 1}, {"entries": ["A", "B"]}),
        (
            {"entries": None, "transitiveImports": ["ns:c", "ns:d"]},
            {"entries": [], "transitiveImports": ["ns:c", "ns:d"]},
        ),
    ],
)
def test_imports_are_normalized(value: JsonValue, normalized: JsonValue) -> None:
    assert validate({"imports": {"ns:tpl": value}})["imports"] == {"ns:tpl": normalized}


@pytest.mark.parametrize(
    ("imports", "code", "message"),
    [
        ({POLICY_ID: {}}, "policies:import.invalid", "The Policy Import is invalid."),
        (
            {"ns:tpl": {"transitiveImports": ["ns:x", POLICY_ID]}},
            "policies:import.invalid",
            "The policy import contains a transitive resolution of the policy itself.",
        ),
        (
            {"ns:tpl": {"transitiveImports": ["ns:x", 1]}},
            "policies:import.invalid",
            "The 'transitiveImports' array contains a non-string element: 1",
        ),
        ({"ns:tpl": {"transitiveImports": ["bad"]}}, "policies:id.invalid", "Policy ID 'bad' is not valid!"),
        ({"bad": {}}, "policies:id.invalid", "Policy ID 'bad' is not valid!"),
        (
            {"ns:tpl": []},
            "json.invalid",
            "The value of the policy import of the 'imported policy' with ID 'ns:tpl' is missing or not an object.",
        ),
        ({"ns:tpl": {"entries": "A"}}, "json.invalid", 'Value <"A"> for </entries> is not of type <JsonArray>!'),
        ({"ns:tpl": {"entries": ["imported-a"]}}, "policies:label.invalid", "Label 'imported-a' is not valid!"),
    ],
)
def test_invalid_imports(imports: JsonValue, code: str, message: str) -> None:
    error = error_of({"imports": imports})
    assert (error.code, error.status, error.message) == (code, 400, message)


def test_at_most_ten_imports() -> None:
    ten: JsonObject = {f"ns:p{i}": {} for i in range(10)}
    assert len(dig(validate({"imports": ten}), "imports")) == 10  # type: ignore[arg-type]
    error = error_of({"imports": {**ten, "ns:p10": {}}})
    assert (error.code, error.status) == ("policies:imports.toolarge", 400)
    assert error.message == (
        f"The Imports of the Policy with ID '{POLICY_ID}' could not be modified as they exceed the allowed number "
        "of '10'."
    )
    with raises("policies:imports.toolarge"):
        validate({"imports": {"ns:a": {}, "ns:b": {}}}, max_imports=1)


# -- size -------------------------------------------------------------------------------------------------------


def test_policy_larger_than_max_size_is_too_large() -> None:
    small = validate({})
    size = policy_size(small)
    assert validate({}, max_size=size) == small
    error = error_of({}, max_size=size - 1)
    assert (error.code, error.status) == ("policies:policy.toolarge", 413)
    big: JsonObject = {"entries": {f"entry-{i}": entry() for i in range(1000)}}
    error = error_of(big)
    assert error.message.startswith("The size of '")
    assert error.message.endswith("' kB exceeds the maximal allowed Policy size of '100' kB.")


@pytest.mark.parametrize(
    ("size", "limit", "message"),
    [
        (1536, 1024, "The size of '1.5' kB exceeds the maximal allowed Policy size of '1' kB."),
        (150000, 102400, "The size of '146.484' kB exceeds the maximal allowed Policy size of '100' kB."),
        (1048577, 1048576, "The size of '1,024.001' kB exceeds the maximal allowed Policy size of '1,024' kB."),
        (101, 100, "The size of '0.099' kB exceeds the maximal allowed Policy size of '0.098' kB."),
    ],
)
def test_too_large_message_formats_kilobytes_like_java(size: int, limit: int, message: str) -> None:
    value: JsonValue = "x" * (size - 2)
    assert policy_size(value) == size
    with pytest.raises(TwinhubError) as caught:
        check_policy_size(value, max_size=limit)
    assert caught.value.message == message


def test_size_counts_utf16_code_units() -> None:
    assert policy_size("ä") == 3
    assert policy_size("😀") == 4
    assert policy_size({"a": [1, True]}) == len('{"a":[1,true]}')


# -- expired subjects -------------------------------------------------------------------------------------------


def stored(subjects: JsonObject) -> JsonObject:
    return {
        "policyId": POLICY_ID,
        "imports": {},
        "entries": {"e": {"subjects": subjects, "resources": {}, "importable": "implicit"}, "other": {}},
    }


def test_drop_expired_subjects_removes_those_at_or_before_now() -> None:
    doc = stored(
        {
            "a:past": {"type": "t", "expiry": "2030-01-01T10:00:00Z"},
            "a:now": {"type": "t", "expiry": "2030-01-01T10:30:00Z"},
            "a:future": {"type": "t", "expiry": "2030-01-01T11:00:00Z"},
            "a:forever": {"type": "t"},
        }
    )
    result = drop_expired_subjects(doc, NOW)
    assert list(dig(result, "entries", "e", "subjects")) == ["a:future", "a:forever"]  # type: ignore[arg-type]
    assert dig(result, "entries", "other") == {}
    assert list(dig(doc, "entries", "e", "subjects")) == ["a:past", "a:now", "a:future", "a:forever"]  # type: ignore[arg-type]


def test_drop_expired_subjects_returns_doc_itself_when_nothing_expired() -> None:
    doc = stored({"a:b": {"type": "t", "expiry": "2030-01-01T11:00:00Z"}})
    assert drop_expired_subjects(doc, NOW) is doc
    assert dig(drop_expired_subjects(doc, datetime(2030, 1, 1, 11, tzinfo=UTC)), "entries", "e", "subjects") == {}


def test_next_expiry() -> None:
    assert next_expiry(stored({"a:b": {"type": "t"}})) is None
    doc = stored(
        {
            "a:b": {"type": "t", "expiry": "2030-01-02T00:00:00Z"},
            "a:c": {"type": "t", "expiry": "2030-01-01T11:00:00Z"},
        }
    )
    assert next_expiry(doc) == datetime(2030, 1, 1, 11, tzinfo=UTC)


# -- default policy and lock-out --------------------------------------------------------------------------------


def test_default_policy_is_dittos_implicit_policy() -> None:
    doc = default_policy("org.eclipse.ditto:thing-1", "nginx:creator")
    assert doc == {
        "policyId": "org.eclipse.ditto:thing-1",
        "imports": {},
        "entries": {
            "DEFAULT": {
                "subjects": {"nginx:creator": {"type": "generated"}},
                "resources": {
                    "thing:/": {"grant": ["READ", "WRITE"], "revoke": []},
                    "policy:/": {"grant": ["READ", "WRITE"], "revoke": []},
                    "message:/": {"grant": ["READ", "WRITE"], "revoke": []},
                },
                "importable": "implicit",
            }
        },
    }
    assert validate_policy(doc, "org.eclipse.ditto:thing-1", now=NOW) == doc
    check_lockout(doc)


def test_default_policy_validates_its_arguments() -> None:
    with raises("policies:subjectid.invalid"):
        default_policy(POLICY_ID, "no-issuer")
    with raises("policies:id.invalid"):
        default_policy("bad", "nginx:creator")


def lockout_error(doc: JsonObject) -> TwinhubError:
    with pytest.raises(TwinhubError) as caught:
        check_lockout(doc)
    return caught.value


def writer(subject: str = "nginx:admin", **extra: JsonValue) -> JsonObject:
    return {
        "subjects": {subject: {"type": "t", **extra}},
        "resources": {"policy:/": {"grant": ["WRITE"], "revoke": []}},
    }


def test_lockout_error_is_dittos() -> None:
    error = lockout_error(validate(policy(e=entry(resources={"policy:/": {"grant": ["READ"]}}))))
    assert (error.code, error.status) == ("policies:policy.modificationinvalid", 403)
    assert error.message == (
        f"The Policy with ID '{POLICY_ID}' could not be modified as the resulting Policy would be invalid."
    )
    assert error.description == (
        "It must contain at least one permanent Subject with permission(s) <[WRITE]> on resource <policy:/>!"
    )


@pytest.mark.parametrize(
    "entries",
    [
        {},
        {"e": {"subjects": {}, "resources": {"policy:/": {"grant": ["WRITE"], "revoke": []}}}},
        {"e": {**writer(), "resources": {"policy:/entries": {"grant": ["WRITE"], "revoke": []}}}},
        {"e": {**writer(), "resources": {"thing:/": {"grant": ["WRITE"], "revoke": []}}}},
        {"e": writer(expiry="2099-01-01T00:00:00Z")},
        {"e": {**writer(), "resources": {"policy:/": {"grant": ["WRITE"], "revoke": ["WRITE"]}}}},
        {"e": writer(), "deny": {**writer(), "resources": {"policy:/": {"grant": [], "revoke": ["WRITE"]}}}},
    ],
    ids=["empty", "no-subject", "not-root", "thing-root", "expiring", "revoked-same-entry", "revoked-other-entry"],
)
def test_lockout_is_prevented(entries: JsonObject) -> None:
    assert lockout_error({"policyId": POLICY_ID, "imports": {}, "entries": entries}).status == 403


@pytest.mark.parametrize(
    "entries",
    [
        {"e": writer()},
        {"e": writer(), "other": writer("nginx:other", expiry="2099-01-01T00:00:00Z")},
        {
            "e": {**writer(), "subjects": {"nginx:admin": {"type": "t"}, "nginx:second": {"type": "t"}}},
            "deny": {**writer(), "resources": {"policy:/": {"grant": [], "revoke": ["WRITE"]}}},
        },
        {"e": writer(), "deny": {**writer("nginx:other"), "resources": {"policy:/": {"revoke": ["WRITE"]}}}},
        # Ditto compares whole subjects: a revoke for the same id with another type does not count
        {"e": writer(), "deny": {**writer(type="x"), "resources": {"policy:/": {"revoke": ["WRITE"]}}}},
        {"e": {**writer(), "resources": {"policy:/": {"grant": ["WRITE"], "revoke": ["READ"]}}}},
    ],
    ids=["writer", "plus-expiring", "one-of-two-revoked", "other-revoked", "other-type-revoked", "read-revoked"],
)
def test_policy_with_a_permanent_writer_passes(entries: JsonObject) -> None:
    check_lockout({"policyId": POLICY_ID, "imports": {}, "entries": entries})


def test_lockout_is_not_checked_for_policies_with_imports() -> None:
    check_lockout({"policyId": POLICY_ID, "imports": {"ns:tpl": {}}, "entries": {}})
    assert lockout_error({"policyId": POLICY_ID, "imports": {}, "entries": {}}).status == 403
