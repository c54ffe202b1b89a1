"""Opaque global ids: base64 of "<Type>:<key>". An id of the wrong type, of another tenant or of
nothing at all decodes or resolves to the same NotFound."""

from __future__ import annotations

import base64
import binascii

import strawberry


def encode(type_name: str, key: int) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode().rstrip("="))


def decode(type_name: str, value: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    kind, _, key = raw.partition(":")
    return int(key) if kind == type_name and key.isdigit() else None
