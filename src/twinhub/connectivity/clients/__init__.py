"""Broker clients: each moves bytes to and from one kind of broker or endpoint (see `base`)."""
