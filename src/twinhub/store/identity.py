"""The store's identity on the event bus: its epoch, a random id kept in the database (`store_identity`,
made by the migrations `*_identity.sql`) and renewed when the database is found restored from a backup."""

from __future__ import annotations

import secrets

__all__ = ["new_epoch"]


def new_epoch() -> str:
    """A fresh epoch: 16 lowercase hex digits (64 random bits), as the migrations make them."""
    return secrets.token_hex(8)
