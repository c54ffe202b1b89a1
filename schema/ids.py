"""Opaque global ids: base64 of "<Type>:<key>". An id of the wrong type, of another tenant or of
nothing at all decodes or resolves to the same NotFound; so does a key no row could have (not in
ASCII digits, or beyond its key column's range)."""

from __future__ import annotations

import base64
import binascii

import strawberry

from server.domain import bounds

# Users, org units and tenants have `integer` keys (server/db/models/); every other type `bigint`.
_KEY_MAX = {"User": bounds.INTEGER_MAX, "OrgUnit": bounds.INTEGER_MAX, "Tenant": bounds.INTEGER_MAX}


def encode(type_name: str, key: int) -> strawberry.ID:
    return strawberry.ID(
        base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode().rstrip("=")
    )


def decode(type_name: str, value: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    kind, _, key = raw.partition(":")
    if kind != type_name:
        return None
    return bounds.whole_number(key, _KEY_MAX.get(type_name, bounds.BIGINT_MAX))


# No row has the key 0 (keys count from 1).
_NO_ROW = 0


def key(type_name: str, value: str) -> int:
    """The key of a global id of `type_name`: the one way a resolver reads an id it is sent.

    A string that is no such id gives a key no row has, so the services' one look-up
    (server/services/references.py) answers it exactly as it answers an id of nothing or of another
    tenant (ERRORS.md, "Ids you send"): NotFound for the object acted on, resolved first; a
    ValidationError naming the field for an id the input refers to; no match in a filter."""
    found = decode(type_name, value)
    return _NO_ROW if found is None else found
