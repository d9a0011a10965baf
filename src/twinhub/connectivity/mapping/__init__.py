"""Payload mappers between a broker's messages and Ditto Protocol envelopes (see `base`)."""
