"""Checks of single values that several documents share, as pydantic annotated types."""

from __future__ import annotations

import difflib
import re
from datetime import date
from functools import cache
from itertools import pairwise
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from pydantic import AfterValidator, Field

from server.domain.tree import valid_code


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def _iso_date(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date; write YYYY-MM-DD") from None
    return value


def _timezone(value: str) -> str:
    if value not in _timezones():
        close = difflib.get_close_matches(value, sorted(_timezones()), n=1)
        hint = (
            f"did you mean {close[0]!r}?" if close else "use an IANA name such as 'Asia/Shanghai'"
        )
        raise ValueError(f"unknown timezone {value!r} ({hint})")
    return value


def _number_prefix(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{2,6}", value):
        raise ValueError(
            f"number prefix {value!r} must be 2 to 6 uppercase letters A-Z, e.g. 'SKD'"
        )
    return value


_PERIOD = re.compile(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d")


def _period(value: str) -> str:
    if not _PERIOD.fullmatch(value) or value[:5] >= value[6:]:
        raise ValueError(
            f"{value!r} is not a working period: write 'HH:MM-HH:MM', start before end,"
            " e.g. '09:00-18:00'"
        )
    return value


def _ordered_periods(periods: list[str]) -> list[str]:
    if any(later[:5] < earlier[6:] for earlier, later in pairwise(periods)):
        raise ValueError("working periods must be in time order and must not overlap")
    return periods


def _code(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,39}", value):
        raise ValueError(
            f"{value!r} is not a code: use up to 40 letters, digits or underscores,"
            " starting with a letter"
        )
    return value


def _profile_name(value: str) -> str:
    # The name becomes the tenant's root org-unit code, so it follows the org path rules.
    if not valid_code(value):
        raise ValueError(
            f"{value!r} is not a profile name: use 2-40 lowercase letters, digits or hyphens"
        )
    return value


def _origin(value: str) -> str:
    parts = urlsplit(value)
    if (
        parts.scheme not in ("https", "http")
        or not parts.hostname
        or parts.path.strip("/")
        or parts.query
        or parts.fragment
    ):
        raise ValueError(
            f"{value!r} is not an origin: write scheme://host[:port],"
            " e.g. https://portal.example.com"
        )
    return f"{parts.scheme}://{parts.netloc}".lower()


Code = Annotated[str, AfterValidator(_code)]
Text = Annotated[str, Field(min_length=1)]
IsoDate = Annotated[str, AfterValidator(_iso_date)]
Timezone = Annotated[str, AfterValidator(_timezone)]
NumberPrefix = Annotated[str, AfterValidator(_number_prefix)]
ProfileName = Annotated[str, AfterValidator(_profile_name)]
Origin = Annotated[str, AfterValidator(_origin)]
WorkingHours = Annotated[
    list[Annotated[str, AfterValidator(_period)]],
    Field(min_length=1),
    AfterValidator(_ordered_periods),
]
ClockUnit = Literal["business_minutes", "working_days", "natural_hours", "natural_days"]
# The workflow meanings (server.domain.workflow.Meaning) as YAML writes them; a test keeps the two
# in step. Spelled out because a type checker cannot read a Literal built at run time.
MeaningName = Literal["unprocessed", "in_progress", "handled", "closed", "pending", "cancelled"]
