"""Connectivity: connections, broker clients, mappers and the device endpoint against real brokers."""
