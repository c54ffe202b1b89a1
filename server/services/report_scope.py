"""What a report covers: the org unit it is narrowed to, inside the caller's scope, and the range
of days, within the profile's limit (cadence.yaml `max_range_months`, 13 by default). Shared by
the board's trend, the monthly analysis and the exports, so each refuses bad input alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.domain import tree
from server.domain.errors import FieldProblem, InvalidInputError, NotFoundError
from server.services.caller import Caller


@dataclass(frozen=True)
class Days:
    """Local days [first, last] and the instants they span, [starts_at, ends_at)."""

    first: date
    last: date
    starts_at: datetime
    ends_at: datetime

    def dates(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def unit_path(caller: Caller, org_unit_id: int | None) -> str | None:
    """The path of the org unit a report is narrowed to; an id of another tenant, of nothing or
    outside the caller's scope answers NotFound alike (frontend-contract/ERRORS.md)."""
    if org_unit_id is None:
        return None
    unit = caller.tenant.units.get(org_unit_id)
    scopes = caller.authz.scopes("workorder.read")
    if unit is None or not any(tree.covers(scope, unit.path) for scope in scopes):
        raise NotFoundError("org unit", str(org_unit_id))
    return unit.path


def days(caller: Caller, first: date, last: date, field: tuple[str, ...]) -> Days:
    """The local days from `first` to `last` included, refused when reversed or longer than the
    profile allows."""
    if last < first:
        raise InvalidInputError([FieldProblem(field, "the range ends before it starts")])
    months = caller.profile.cadence.max_range_months
    if (last.year - first.year) * 12 + last.month - first.month >= months:
        message = f"a range may cover at most {months} months"
        raise InvalidInputError([FieldProblem(field, message)])
    zone = ZoneInfo(caller.profile.timezone)
    starts_at = datetime.combine(first, time(), zone)
    ends_at = datetime.combine(last + timedelta(days=1), time(), zone)
    return Days(first, last, starts_at, ends_at)
