"""Errors of connections (Ditto's connectivity service): their configuration, ids, commands and brokers.

A connection's JSON that breaks a rule is `ConnectionConfigurationInvalid` with a message naming the rule and
the place (as Ditto's validators word it); a malformed URI, id or topic has its own code. A broker that cannot
be reached when a connection is tested answers `ConnectionFailed` (504, as Ditto). Conditional headers on
connections answer `ThingPreconditionFailed` / `ThingNotModified` with `entity="Connection"`
(`connectivity:precondition.failed`, `connectivity:precondition.notmodified`).
"""

from __future__ import annotations

from twinhub.model.errors.base import Conflict, Invalid, NotFound, Unavailable, echoed

__all__ = [
    "ConnectionConfigurationInvalid",
    "ConnectionConflict",
    "ConnectionFailed",
    "ConnectionIdInvalid",
    "ConnectionIdNotSettable",
    "ConnectionNotAccessible",
    "ConnectionSignalIdEnforcementFailed",
    "ConnectionUnavailable",
    "ConnectionUriInvalid",
    "ConnectionsAmountIllegal",
    "ConnectivityCommandInvalid",
    "TopicInvalid",
]

class ConnectionConfigurationInvalid(Invalid):
    """A connection that breaks a rule of its model or of its connection type: no source and no target, a
    source without authorization context or addresses, a QoS its broker does not take, an unknown mapper, an
    unsupported connection type, ..."""

    def __init__(self, message: str,
                 description: str = "Make sure all required properties are set and valid in the configuration."
                 ) -> None:
        super().__init__("connectivity:connection.configuration.invalid", 400, message, description)


class ConnectionIdInvalid(Invalid):
    """A connection id outside Ditto's `[a-zA-Z0-9-_:]{1,100}`."""

    def __init__(self, connection_id: str) -> None:
        super().__init__(
            "connectivity:connection.id.invalid",
            400,
            f"The Connection ID '{echoed(connection_id)}' is not valid.",
            "It must be conform to the regular expression: <[a-zA-Z0-9-_:]{1,100}>.",
        )


class ConnectionIdNotSettable(Invalid):
    """An id in the body of a connection to be created (the id is generated), or in a PUT body that
    differs from the path's."""

    def __init__(self) -> None:
        super().__init__(
            "connectivity:id.notsettable",
            400,
            "It is not allowed to provide an explicit ID for a connection.",
            "Remove the ID from the connection as it will be generated.",
        )


class ConnectionUriInvalid(Invalid):
    """A URI that is not `{scheme}://[user:password@]host:port[/path]`, or whose scheme the connection type
    does not take."""

    def __init__(self, uri: str, message: str | None = None,
                 description: str = "The accepted format is "
                                    "{protocol}://{username}:{password}@{hostname}:{port}/{path}") -> None:
        super().__init__(
            "connectivity:connection.uri.invalid",
            400,
            message or f"The Connection URI '{echoed(uri)}' has an invalid format.",
            description,
        )


class TopicInvalid(Invalid):
    """A target topic that is none of Ditto's (`_/_/things/twin/events`, ...) or cannot be parsed."""

    def __init__(self, topic: str, hint: str) -> None:
        super().__init__(
            "connectivity:topic.invalid",
            400,
            f"The topic '{echoed(topic)}' could not be parsed.",
            f"'{hint}' - check if the format is the expected one.",
        )


class ConnectivityCommandInvalid(Invalid):
    """A `/command` body that is none of the connection commands."""

    def __init__(self, command: str) -> None:
        super().__init__(
            "connectivity:command.invalid",
            400,
            f"The command <{echoed(command)}> is invalid or unknown.",
            "Choose from one of the valid commands, e.g. <connectivity.commands:openConnection>.",
        )


class ConnectionsAmountIllegal(Invalid):
    """More connections than one request may retrieve whole (Ditto's `connections-retrieve-limit`); their ids
    (`ids-only`) are not limited."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            "connectivity:connections.amount.illegal",
            400,
            f"The amount of requested connections exceeds the limit of '{limit}'.",
            "Please request less connection ids.",
        )


class ConnectionNotAccessible(NotFound):
    """No connection with that id (or the requester may not manage connections)."""

    def __init__(self, connection_id: str) -> None:
        super().__init__(
            "connectivity:connection.notfound",
            404,
            f"The Connection with ID '{echoed(connection_id)}' could not be found or requester had "
            "insufficient permissions to access it.",
            "Check if the ID of your requested Connection was correct and you have sufficient permissions.",
        )


class ConnectionConflict(Conflict):
    """A connection with that id exists already."""

    def __init__(self, connection_id: str) -> None:
        super().__init__(
            "connectivity:connection.conflict",
            409,
            f"The Connection with ID '{echoed(connection_id)}' was already created.",
            "If you need to update it, remove it first before creating it again.",
        )


class ConnectionFailed(Unavailable):
    """A connection (tested with `dry-run`, or opened) could not connect to its broker: 504, as Ditto."""

    def __init__(self, connection_id: str, description: str | None = None) -> None:
        super().__init__(
            "connectivity:connection.failed",
            504,
            f"The Connection with ID '{echoed(connection_id)}' failed to connect.",
            description or "The requested Connection could not be connected due to an internal failure of the "
                           "underlying driver.",
        )


class ConnectionUnavailable(Unavailable):
    """The connection's runtime cannot answer now (status, metrics, logs or a command): retry later."""

    def __init__(self, connection_id: str) -> None:
        super().__init__(
            "connectivity:connection.unavailable",
            503,
            f"The Connection with ID '{echoed(connection_id)}' is not available, please try again later.",
            "The requested Connection is temporarily not available, please retry the performed action in order "
            "to improve resiliency.",
        )


class ConnectionSignalIdEnforcementFailed(Invalid):
    """A source's enforcement: the message's `input` matched none of the `filters` for the signal's entity."""

    def __init__(self, entity_id: str) -> None:
        super().__init__(
            "connectivity:connection.id.enforcement.failed",
            400,
            f"The configured filters could not be matched against the given target with ID '{echoed(entity_id)}'.",
            "Either modify the configured filter or ensure that the message is sent via the correct ID.",
        )
