"""Official Chinese holidays and make-up working days (调休), from the `chinesecalendar` package.

The only module that imports `chinese_calendar`; the rest of the code sees plain DayRules.
The package raises NotImplementedError for years whose State Council notice it does not hold;
such years are left out of known_years, so deadlines in them are refused rather than guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import chinese_calendar

from server.domain.calendar import DayRules


def supported_years() -> range:
    years = {d.year for d in chinese_calendar.holidays}
    return range(min(years), max(years) + 1)


def statutory_days(years: Iterable[int]) -> DayRules:
    """Named festival days off (weekends inside a festival included) and working weekends."""
    known = frozenset(year for year in years if _published(year))
    return DayRules(
        holidays=frozenset(d for d in chinese_calendar.holidays if d.year in known),
        workdays=frozenset(d for d in chinese_calendar.workdays if d.year in known),
        known_years=known,
    )


def _published(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True
