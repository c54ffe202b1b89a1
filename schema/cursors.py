"""Opaque page cursors: the position of a page's last entry in its list's own order.

A cursor that is not one of ours, or that belongs to another list or another sort, is refused with
a ValidationError on `after`: answering with the first page again would send a client that pages
until the end round in a loop.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta

from server.domain.errors import FieldProblem, InvalidInputError

_NONE = "-"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def encode(kind: str, last_id: int, *keys: int | None) -> str:
    """A cursor after the entry `last_id`, whose sort keys (ahead of its id) are `keys`."""
    text = "|".join([kind, *(_NONE if key is None else str(key) for key in keys), str(last_id)])
    return base64.urlsafe_b64encode(text.encode()).decode()


def decode(kind: str, cursor: str | None, keys: int = 0) -> tuple[int, tuple[int | None, ...]] | None:
    """(last id, sort keys) of a cursor of `kind`; None when there is no cursor (the first page)."""
    if cursor is None:
        return None
    try:
        found, *parts = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        if found == kind and len(parts) == keys + 1:
            return int(parts[-1]), tuple(None if part == _NONE else int(part) for part in parts[:-1])
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise InvalidInputError(
        [FieldProblem(("after",), "not a cursor of this list in this order: pass the endCursor of the previous page of the same query, or omit it")]
    )


def micros(at: datetime | None) -> int | None:
    """An instant as a cursor part: whole microseconds since the epoch, exact and sortable."""
    return None if at is None else (at - EPOCH) // MICROSECOND


def instant(count: int | None) -> datetime | None:
    return None if count is None else EPOCH + count * MICROSECOND
