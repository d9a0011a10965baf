"""Connectivity: Ditto's *connections* — devices and brokers in, events and commands out.

A capability package with the same shape as the others (pure logic, a service, routes), at the edge of the
house like `twinhub.api`: it may use the services, the store and the bus; nothing below imports it.

    clients/      move bytes to and from one kind of broker or endpoint (MQTT, AMQP 0.9.1 and 1.0, NATS,
                  HTTP push); nothing else: no mapping, no twin semantics (`clients.base`)
    mapping/      payload mappers between a broker's messages and Ditto Protocol envelopes (`mapping.base`)
    external.py   the message as a broker carries it (`ExternalMessage`), shared by clients and mappers
    model/        Ditto's connection, pure: parsed from and rendered to Ditto's JSON, validated per type
    placeholders/ Ditto's `{{ prefix:name | fn:... }}` templates: parsed, validated, resolved
    operator.py   what management asks of the running connections (`ConnectionOperator`: status, metrics,
                  logs, commands, dry-run test), implemented by the connection runtime
    service.py    managing connections: CRUD with revisions, commands, dry-run (`ConnectionService`)
    routes.py     `/api/2/connections` for admin subjects
    subsystem.py  `Connectivity`, the application's subsystem: routes + service + operator on the platform

Everything a connection does to twins goes through one Ditto Protocol session per connection
(`twinhub.service.session`), exactly as a WebSocket client's commands do.
"""
