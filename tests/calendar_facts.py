"""The statutory calendar facts the tests check against, written once by hand from the sources:
2025 and 2026 as in docs/deadline-scenarios.md, which names their sources. Never computed by the
code under test."""

from __future__ import annotations

from datetime import date, timedelta


def dates(year: int, specs: str) -> frozenset[date]:
    """Space-separated month-days: '01-28..02-04' is an inclusive range, '01-01' a single day."""
    out: set[date] = set()
    for spec in specs.split():
        first, _, last = spec.partition("..")
        day = date.fromisoformat(f"{year}-{first}")
        end = date.fromisoformat(f"{year}-{last or first}")
        while day <= end:
            out.add(day)
            day += timedelta(days=1)
    return frozenset(out)


HOLIDAYS_2025 = dates(
    2025, "01-01 01-28..02-04 04-04..04-06 05-01..05-05 05-31..06-02 10-01..10-08"
)
WORKDAYS_2025 = dates(2025, "01-26 02-08 04-27 09-28 10-11")
# 2026: the weekdays off and the weekends worked.
OFF_WEEKDAYS_2026 = dates(
    2026,
    "01-01 01-02 02-16..02-20 02-23 04-06 05-01 05-04 05-05 06-19 09-25 10-01 10-02 10-05..10-07",
)
WORKDAYS_2026 = dates(2026, "01-04 02-14 02-28 05-09 09-20 10-10")
