"""twinhub: a digital twin platform that speaks Eclipse Ditto's HTTP API v2."""

__version__ = "0.1.0"
