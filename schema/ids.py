"""Opaque global ids: base64 of "<Type>:<key>". An id of the wrong type, of another tenant or of
nothing at all decodes or resolves to the same NotFound; so does a key no row could have (not in
ASCII digits, or beyond its key column's range)."""

from __future__ import annotations

import base64
import binascii

import strawberry

from server.domain import bounds

# Users and org units have `integer` keys (server/db/models.py); every other type `bigint` ones.
_KEY_MAX = {"User": bounds.INTEGER_MAX, "OrgUnit": bounds.INTEGER_MAX}


def encode(type_name: str, key: int) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode().rstrip("="))


def decode(type_name: str, value: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    kind, _, key = raw.partition(":")
    if kind != type_name:
        return None
    return bounds.whole_number(key, _KEY_MAX.get(type_name, bounds.BIGINT_MAX))
