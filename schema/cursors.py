"""Opaque page cursors: the position of a page's last entry in its list's own order.

A cursor that is not one of ours, or that belongs to another list or another sort, is refused with
a ValidationError on `after`: answering with the first page again would send a client that pages
until the end round in a loop.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta

from server.domain import bounds
from server.domain.errors import FieldProblem, InvalidInputError

_NONE = "-"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def encode(kind: str, last_id: int, *keys: int | None) -> str:
    """A cursor after the entry `last_id`, whose sort keys (ahead of its id) are `keys`."""
    text = "|".join([kind, *(_NONE if key is None else str(key) for key in keys), str(last_id)])
    return base64.urlsafe_b64encode(text.encode()).decode()


def decode(
    kind: str, cursor: str | None, keys: int = 0
) -> tuple[int, tuple[int | None, ...]] | None:
    """(last id, sort keys) of a cursor of `kind`; None when there is no cursor (the first page)."""
    if cursor is None:
        return None
    try:
        found, *parts = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _not_a_cursor() from None
    if found != kind or len(parts) != keys + 1:
        raise _not_a_cursor()
    *sort_keys, last_id = (_number(part) for part in parts)
    if last_id is None:
        raise _not_a_cursor()
    return last_id, tuple(sort_keys)


def _number(part: str) -> int | None:
    """A cursor part: "-" for no value, or a database integer (a number beyond is no position)."""
    if part == _NONE:
        return None
    number = bounds.whole_number(part)
    if number is None:
        raise _not_a_cursor()
    return number


def _not_a_cursor() -> InvalidInputError:
    message = (
        "not a cursor of this list in this order: pass the endCursor of the previous page"
        " of the same query, or omit it"
    )
    return InvalidInputError([FieldProblem(("after",), message)])


def micros(at: datetime | None) -> int | None:
    """An instant as a cursor part: whole microseconds since the epoch, exact and sortable."""
    return None if at is None else (at - EPOCH) // MICROSECOND


def instant(count: int | None) -> datetime | None:
    """The instant of a cursor part; a count beyond the calendar is no cursor of ours."""
    try:
        return None if count is None else EPOCH + count * MICROSECOND
    except OverflowError:
        raise _not_a_cursor() from None
