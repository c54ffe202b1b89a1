"""The results table and the ratios against the floors, with the issue's goals."""

from __future__ import annotations

from collections.abc import Mapping

from bench.load import Result

# (measured, floor, goal, what): the goals of the core issue, and issue 19's raised ones.
GOALS = (
    ("list", "list-floor-sql", 0.20, "list / bare-SQL floor"),
    ("list", "list-floor-static", 0.50, "list / static-GraphQL floor"),
    ("list-compiled", "list-floor-sql", 2.0, "compiled list / bare-SQL floor"),
    ("register", "register-floor", 0.60, "registerComplaint / its floor"),
)
# Ratios that explain the figures, with no goal attached.
CONTEXT = (
    ("list-uncached", "list", "list without caches / with"),
    ("list-per-request-rules", "list", "list, caches defeated by per-request rules / with caches"),
    ("list-gc-default", "list", "list, collector at its defaults / as shipped"),
    ("list-uncached", "list-floor-sql", "list without caches / bare-SQL floor"),
    ("list-uncached", "list-floor-static", "list without caches / static-GraphQL floor"),
    ("list-stock-pool", "list", "list, SQLAlchemy's stock pool / the fair pool"),
    ("list-compiled", "list-interpreted", "compiled list / interpreted"),
    ("escalations-compiled", "escalations-interpreted", "compiled escalations / interpreted"),
)
# (variant, the largest p95 / p50, what): issue 19, the tail. Some requests waiting seconds longer
# than the rest is what a portal feels as freezes, whatever the throughput.
TAIL_GOALS = (
    ("list", 2.0, "list p95 / p50"),
    ("list-compiled", 2.0, "compiled list p95 / p50"),
    ("list-interpreted", 2.0, "interpreted list p95 / p50"),
)


def table(labels: Mapping[str, str], results: Mapping[str, Result]) -> str:
    lines = [
        f"{'variant':<58} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'p95/p50':>8} {'failed':>7}"
    ]
    for key, r in results.items():
        lines.append(
            f"{labels[key]:<58} {r.rps:>8.0f} {r.p50_ms:>8.1f} {r.p95_ms:>8.1f} {r.p99_ms:>8.1f} "
            f"{spread(r):>7.1f}x {r.failures:>7}"
        )
    return "\n".join(lines)


def spread(result: Result) -> float:
    """p95 / p50: how much longer the slow requests wait than the typical one."""
    return result.p95_ms / result.p50_ms if result.p50_ms else float("inf")


def ratios(results: Mapping[str, Result]) -> str:
    lines = [f"{'ratio (req/s)':<58} {'value':>8} {'goal':>8}  verdict"]
    for measured, floor, goal, what in GOALS:
        if measured in results and floor in results:
            value = results[measured].rps / results[floor].rps
            lines.append(
                f"{what:<58} {value:>8.1%} {'>= ' + format(goal, '.0%'):>8}  "
                f"{'PASS' if value >= goal else 'BELOW'}"
            )
    for measured, most, what in TAIL_GOALS:
        if measured in results:
            value = spread(results[measured])
            lines.append(
                f"{what:<58} {value:>7.1f}x {'<= ' + format(most, 'g') + 'x':>8}  "
                f"{'PASS' if value <= most else 'ABOVE'}"
            )
    for measured, floor, what in CONTEXT:
        if measured in results and floor in results:
            lines.append(
                f"{what:<58} {results[measured].rps / results[floor].rps:>8.1%} {'-':>8}  (context)"
            )
    return "\n".join(lines)
