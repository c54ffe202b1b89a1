"""The DateTime scalar: an instant, given with its offset and answered in UTC.

One convention for every DateTime of the contract (frontend-contract/README.md): inputs are ISO 8601
with an offset (`+08:00` or `Z`), within bounds.EARLIEST_INSTANT..LATEST_INSTANT; outputs are always
UTC with `+00:00`, so a value reads the same in a mutation's answer and in every later query. A
value without an offset is refused by the service that takes it (a ValidationError naming the
field): the server cannot know whose local time it means.
"""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from server.domain import bounds


def _serialize(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _parse(value: object) -> datetime:
    if not isinstance(value, str):
        raise TypeError("a DateTime is an ISO 8601 string, e.g. 2026-11-22T09:30:00+08:00")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"'{value}' is not an ISO 8601 date and time") from None
    # A time without offset or outside the bounds is a well-formed DateTime all the same: the
    # service that takes it answers a ValidationError naming its field (bounds.instant_problem).
    return at if bounds.instant_problem(at) else at.astimezone(UTC)


DateTime = strawberry.scalar(
    name="DateTime",
    description=(
        "An instant in ISO 8601 with its offset, e.g. 2026-11-22T09:30:00+08:00; answered in UTC."
    ),
    serialize=_serialize,
    parse_value=_parse,
)
