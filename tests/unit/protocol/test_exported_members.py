from __future__ import annotations

import ast
import sys
from pathlib import Path

import twinhub.protocol

# The pure core: the model, RQL (search options) and the policy enforcer.
_ALLOWED_PACKAGES = ("twinhub.model", "twinhub.rql", "twinhub.policy", "twinhub.protocol")
_ALLOWED_THIRD_PARTY = {"orjson"}


def test_protocol_package_exports_exactly_the_public_surface() -> None:
    assert twinhub.protocol.__all__ == [
        "APPLICATION_JSON",
        "CHECK_PERMISSIONS",
        "DEFAULT_PAGE_SIZE",
        "MAX_PAGE_SIZE",
        "MERGE_PATCH_JSON",
        "UNKNOWN",
        "WILDCARD",
        "Channel",
        "Criterion",
        "Direction",
        "Envelope",
        "Group",
        "Message",
        "MigrateDefinition",
        "ModifyThing",
        "PayloadKind",
        "PolicySignal",
        "PolicyVerb",
        "ProtocolError",
        "RetrieveThing",
        "RetrieveThings",
        "SearchCancel",
        "SearchCommand",
        "SearchOptions",
        "SearchRequest",
        "SearchSubscribe",
        "SignalHeaders",
        "StreamingCancel",
        "StreamingCommand",
        "StreamingRequest",
        "SubscribeForPersistedEvents",
        "ThingEventSignal",
        "ThingResponse",
        "ThingSignal",
        "Topic",
        "ack_envelope",
        "ack_from_envelope",
        "acks_envelope",
        "acks_from_envelope",
        "aggregate_status",
        "check_permissions_response",
        "content_type",
        "correlation_id",
        "encode_envelope",
        "envelope_from_json",
        "envelope_to_json",
        "error_envelope",
        "error_topic",
        "format_topic",
        "header_text",
        "header_texts",
        "message_envelope",
        "message_from_envelope",
        "message_path",
        "message_response",
        "migrate_command",
        "normalize_headers",
        "normalize_path",
        "parse_envelope",
        "parse_search_options",
        "parse_topic",
        "payload_from_bytes",
        "payload_kind",
        "payload_to_bytes",
        "policy_command",
        "policy_path",
        "policy_response",
        "policy_topic",
        "reply_headers",
        "search_command",
        "search_complete",
        "search_created",
        "search_failed",
        "search_next",
        "search_topic",
        "signal_headers",
        "streaming_command",
        "streaming_complete",
        "streaming_created",
        "streaming_failed",
        "streaming_next",
        "subject_deletion_announcement",
        "thing_command",
        "thing_event",
        "thing_event_from_envelope",
        "thing_path",
        "thing_response",
        "thing_response_from_envelope",
        "thing_topic",
    ]
    for name in twinhub.protocol.__all__:
        assert hasattr(twinhub.protocol, name), name


def test_every_module_lists_its_public_names() -> None:
    package = Path(twinhub.protocol.__file__).parent
    exported = set(twinhub.protocol.__all__)
    for path in package.glob("[!_]*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module_all = next(node for node in tree.body if isinstance(node, ast.Assign)
                          and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets))
        assert isinstance(module_all.value, ast.List)
        names = {elt.value for elt in module_all.value.elts if isinstance(elt, ast.Constant)}
        assert names <= exported, f"{path.name}: {names - exported} not re-exported"


def test_the_protocol_core_is_pure_and_synchronous() -> None:
    package = Path(twinhub.protocol.__file__).parent
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                allowed = (name.startswith(_ALLOWED_PACKAGES) or top in sys.stdlib_module_names
                           or top in _ALLOWED_THIRD_PARTY)
                assert allowed, f"twinhub/protocol/{path.name} imports {name}"
            assert not isinstance(node, ast.AsyncFunctionDef | ast.Await), f"twinhub/protocol/{path.name} is async"
