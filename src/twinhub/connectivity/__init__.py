"""Connectivity: Ditto's *connections* — devices and brokers in, events and commands out.

A capability package with the same shape as the others (pure logic, a service, routes), at the edge of the
house like `twinhub.api`: it may use the services, the store and the bus; nothing below imports it.

    clients/      move bytes to and from one kind of broker or endpoint (MQTT, AMQP 0.9.1 and 1.0, NATS,
                  HTTP push); nothing else: no mapping, no twin semantics (`clients.base`)
    mapping/      payload mappers between a broker's messages and Ditto Protocol envelopes (`mapping.base`)
    external.py   the message as a broker carries it (`ExternalMessage`), shared by clients and mappers

Everything a connection does to twins goes through one Ditto Protocol session per connection
(`twinhub.service.session`), exactly as a WebSocket client's commands do.
"""
