"""A closed month's settled clocks, breaches and repeat complaints for the reconciliation benchmark
(`generate.py --month`), written by set-based SQL after the COPY load: a few statements over the
tenant's orders instead of Python per order, so 1,000,000 orders take seconds, not the ~13
minutes `--clocks` (bench/clock_rows.py) would.

The figures are plausible, not the product's arithmetic: deadlines are natural time after
registration (120 minutes for the response, 3/7 days for A/B closure, none for C) rather than
business time on the tenant's calendar, which only moves where a deadline falls. What matters for
the reconciliation is that every outcome occurs: met in time, met late, still running past its
deadline, paused (pending), breached and retargeted, repeated within the first-time-resolution
window and after it. `r` below is a deterministic pseudo-random number per order (0-9999).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text

from server.db.session import Database

_R = "(((o.id * 2654435761) % 10007) % 10000)"

RESPONSE = text(
    f"""
    INSERT INTO work_order_clocks (tenant_id, work_order_id, name, target, unit, started_at,
        running_since, used, budget, due_at, warn_at, stopped_at)
    SELECT o.tenant_id, o.id, 'response', 120, 'business_minutes', o.registered_at,
        CASE WHEN stop IS NULL THEN o.registered_at END, 0, NULL,
        o.registered_at + interval '120 minutes', o.registered_at + interval '90 minutes', stop
    FROM work_orders o
    CROSS JOIN LATERAL (SELECT CASE
        WHEN o.state = 'unprocessed' AND {_R} < 3000 THEN NULL
        ELSE o.registered_at + interval '1 minute' * (5 + {_R} % 175) END AS stop) s
    WHERE o.tenant_id = :tenant_id AND o.grade IS NOT NULL
    """
)

# Handled and closed orders stopped their closure clock (some after the deadline), pending ones
# paused it, the rest still run: past the deadline by now unless grade C, which has none.
CLOSURE = text(
    f"""
    INSERT INTO work_order_clocks (tenant_id, work_order_id, name, target, unit, started_at,
        running_since, used, due_at, stopped_at)
    SELECT o.tenant_id, o.id, 'closure', d.days, 'working_days', o.registered_at,
        CASE WHEN o.state NOT IN ('handled', 'closed', 'pending') THEN o.registered_at END, 0,
        CASE WHEN o.state <> 'pending' AND d.days IS NOT NULL
             THEN o.registered_at + interval '1 day' * d.days END,
        CASE WHEN o.state IN ('handled', 'closed')
             THEN o.registered_at + interval '1 hour' * (2 + {_R} % 200) END
    FROM work_orders o
    JOIN (VALUES ('A', 3), ('B', 7), ('C', NULL)) AS d(grade, days) ON d.grade = o.grade
    WHERE o.tenant_id = :tenant_id
    """
)


# A B order regraded C after its breach: the clock lost its deadline, the breach stays recorded.
BREACHES = text(
    f"""
    WITH regraded AS (
        UPDATE work_order_clocks c SET due_at = NULL, target = NULL
        FROM work_orders o
        WHERE c.tenant_id = :tenant_id AND c.name = 'closure' AND o.id = c.work_order_id
          AND o.grade = 'B' AND c.stopped_at IS NULL AND {_R} % 10 = 0
        RETURNING c.tenant_id, c.work_order_id, c.started_at
    )
    INSERT INTO sla_effects (tenant_id, work_order_id, clock, kind, due_at, recorded_at)
    SELECT tenant_id, work_order_id, 'closure', 'breached', started_at + interval '7 days',
        started_at + interval '7 days 5 minutes'
    FROM regraded
    """
)

# 3 % of orders repeat an earlier one (ids grow with time) up to 40 % of the month back (12
# days): some within 7 days of its closing and some after, whatever the month's size.
REPEATS = text(
    f"""
    UPDATE work_orders o SET repeat_of_id = e.id
    FROM work_orders e
    WHERE o.tenant_id = :tenant_id AND e.tenant_id = :tenant_id AND {_R} < 300
      AND e.id = o.id - 1 - (o.id * 7919) % :back
    """
)


# A month is reconciled only if the tenant existed before its end.
BACKDATE = text("UPDATE tenants SET created_at = :start WHERE id = :tenant_id")


async def write(database: Database, tenant_id: int, start: datetime) -> dict[str, int]:
    """Row counts written, by kind; the tenant made before `start`, the month's first instant."""
    counts = {}
    async with database.engine.begin() as conn:
        await conn.execute(BACKDATE, {"tenant_id": tenant_id, "start": start})
        # Statistics of the orders just loaded, or the repeats' self-join is planned as a nested
        # loop over a tenant believed empty (quadratic: it ran for minutes at 1,000,000).
        await conn.execute(text("ANALYZE work_orders"))
        count = "SELECT count(*) FROM work_orders WHERE tenant_id = :tenant_id"
        orders = (await conn.execute(text(count), {"tenant_id": tenant_id})).scalar_one()
        back = orders * 2 // 5 + 1
        for name, statement in (
            ("response clocks", RESPONSE),
            ("closure clocks", CLOSURE),
            ("breaches", BREACHES),
            ("repeats", REPEATS),
        ):
            result = await conn.execute(statement, {"tenant_id": tenant_id, "back": back})
            counts[name] = result.rowcount
    return counts
