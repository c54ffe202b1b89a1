"""The bounds every input is checked against, declared once.

Services check them before the database, so a value the database would refuse is answered as a
ValidationError naming the field, never as an internal error; server/db/models/ sizes its columns
from the same names, so a bound and its column cannot drift apart.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# Integer columns: users, org units and tenants have PostgreSQL `integer` keys, the large tables
# `bigint` ones (models.BigId).
INTEGER_MAX = 2**31 - 1
BIGINT_MAX = 2**63 - 1

# Lengths of text columns, in characters.
TEXT = 10_000  # free text in a `Text` column: details, comments, resolutions
NAME = 200
ADDRESS = 500
SUMMARY = 500
POSTCODE = 12
PHONE = 20  # E.164 has at most 15 digits and the plus
ENGINE_NUMBER = 40
PLATE = 20
MODEL = 80

# How many phone numbers one registration may give for its customer.
PHONES_PER_CUSTOMER = 5
# A vehicle's odometer, in kilometres.
MILEAGE_KM_MAX = 2_000_000
# Ages and spans asked for in hours: a century is more than any list filter needs, and keeps
# `now - hours` inside the calendar.
HOURS_MAX = 100 * 366 * 24

# Instants a client may send: none before the service could have recorded a complaint, none so far
# ahead that the deadline arithmetic would leave the calendar.
EARLIEST_INSTANT = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_INSTANT = datetime(9000, 1, 1, tzinfo=UTC)
# How far ahead of the server's clock a moment that has happened may be (the sender's clock drifts).
CLOCK_SKEW = timedelta(minutes=1)


def whole_number(text: str, maximum: int = BIGINT_MAX) -> int | None:
    """`text` as a number from 0 to `maximum` written in ASCII digits, or None.

    str.isdigit() and int() also take other scripts' digits (full-width "１２" is 12): an id or a
    position from outside is only ever written in ASCII."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(maximum)):
        return None
    value = int(text)
    return value if value <= maximum else None


def instant_problem(value: datetime) -> str | None:
    """Why `value` cannot be taken as an instant, or None when it can."""
    if value.tzinfo is None or value.utcoffset() is None:
        return "give a time zone offset, e.g. 2026-11-22T09:30:00+08:00 or 2026-11-22T01:30:00Z"
    if not EARLIEST_INSTANT <= value < LATEST_INSTANT:
        return f"must lie between {EARLIEST_INSTANT:%Y-%m-%d} and {LATEST_INSTANT:%Y-%m-%d}"
    return None


def past_instant_problem(value: datetime, now: datetime) -> str | None:
    """Why `value` cannot be a moment that has happened by `now`, or None when it can."""
    if problem := instant_problem(value):
        return problem
    return "lies in the future" if value > now + CLOCK_SKEW else None


def range_problem(value: int, low: int, high: int) -> str | None:
    """Why `value` is outside low..high, or None."""
    return None if low <= value <= high else f"must be between {low} and {high}"
