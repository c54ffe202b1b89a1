"""Actors: thin, idempotent, ids in; the work is in server/services."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import dramatiq

from server import settings
from server.adapters import metrics
from server.domain.errors import InvalidInputError
from server.services import cadence, deadlines, outbox, quarterly, reconciliation, tracking
from workers.broker import broker  # noqa: F401  (configures the broker before any actor is declared)
from workers.resources import database, sender

log = logging.getLogger("complaintdesk.workers")


@dramatiq.actor(
    queue_name="deadlines", max_retries=3, min_backoff=1_000, max_backoff=30_000, time_limit=600_000
)
async def scan_deadlines() -> None:
    started = time.perf_counter()
    report = await deadlines.scan(database(), datetime.now(UTC), settings.load().scan_batch)
    metrics.scan_observed(time.perf_counter() - started, report.orders)
    log.info(
        "deadline scan: %d orders, %d effects, %d notifications",
        report.orders,
        report.effects,
        report.notifications,
    )


# Each round of a reminder is keyed in the outbox: a retry or a duplicate tick sends it once.
@dramatiq.actor(queue_name="deadlines", max_retries=3, min_backoff=1_000, max_backoff=30_000)
async def remind_tracking() -> None:
    report = await tracking.remind(database(), datetime.now(UTC))
    log.info("tracking reminders: %d due, %d notifications", report.orders, report.notifications)


@dramatiq.actor(queue_name="notifications", max_retries=3, min_backoff=1_000, max_backoff=30_000)
async def flush_outbox() -> None:
    async for page in outbox.due(database(), datetime.now(UTC)):
        for tenant_id, message_id in page:
            deliver_notification.send(tenant_id, message_id)


# Delivery failures are retried by the outbox's own backoff (next_attempt_at), not by redelivery.
@dramatiq.actor(queue_name="notifications", max_retries=0)
async def deliver_notification(tenant_id: int, message_id: int) -> None:
    policy = settings.load().outbox_retry
    now = datetime.now(UTC)
    await outbox.deliver(database(), tenant_id, message_id, sender=sender(), now=now, policy=policy)


@dramatiq.actor(queue_name="notifications", max_retries=3, min_backoff=1_000, max_backoff=30_000)
async def purge_outbox() -> None:
    days = settings.load().outbox_retention_days
    removed = await outbox.purge(database(), datetime.now(UTC) - timedelta(days=days))
    log.info("outbox: %d notifications delivered more than %d days ago purged", removed, days)


@dramatiq.actor(queue_name="reconciliation", max_retries=3, min_backoff=10_000, max_backoff=300_000)
async def reconcile_due() -> None:
    for tenant_id, month in await reconciliation.due(database(), datetime.now(UTC)):
        reconcile_month.send(tenant_id, month)


# A month of a large tenant takes a while; a retry or a duplicate finds the statement issued and
# only compares it again, which writes nothing when nothing changed.
@dramatiq.actor(
    queue_name="reconciliation",
    max_retries=3,
    min_backoff=10_000,
    max_backoff=300_000,
    time_limit=3_600_000,
)
async def reconcile_month(tenant_id: int, month: str) -> None:
    run = await reconciliation.reconcile(database(), tenant_id, month, now=datetime.now(UTC))
    verb = "issued" if run.issued else "re-run"
    what = "reconciliation of tenant %d, %s: %s, %d adjustments"
    log.info(what, tenant_id, month, verb, run.adjustments)


@dramatiq.actor(queue_name="reconciliation", max_retries=3, min_backoff=10_000, max_backoff=300_000)
async def assess_due() -> None:
    for tenant_id, quarter in await quarterly.due(database(), datetime.now(UTC)):
        assess_quarter.send(tenant_id, quarter)


# A retry or a duplicate finds the finance statement issued and writes nothing.
@dramatiq.actor(queue_name="reconciliation", max_retries=3, min_backoff=10_000, max_backoff=300_000)
async def assess_quarter(tenant_id: int, quarter: str) -> None:
    try:
        issued = await quarterly.assess(database(), tenant_id, quarter, now=datetime.now(UTC))
    except InvalidInputError as refused:
        # Deliveries not imported yet: retrying now would fail alike; the quarter stays due, so
        # the next hourly tick tries again once they are.
        problems = "; ".join(problem.message for problem in refused.problems)
        log.warning("assessment of tenant %d, %s not issued: %s", tenant_id, quarter, problems)
        return
    verb = "issued" if issued else "already issued"
    log.info("assessment of tenant %d, %s: %s", tenant_id, quarter, verb)


@dramatiq.actor(queue_name="reports", max_retries=3, min_backoff=10_000, max_backoff=300_000)
async def cadence_due() -> None:
    for tenant_id, kind, period in await cadence.due(database(), datetime.now(UTC)):
        produce_cadence_report.send(tenant_id, kind, period)


# Unique per tenant, kind and period, notices keyed per recipient: a retry or a duplicate finds
# the report produced and writes nothing.
@dramatiq.actor(queue_name="reports", max_retries=3, min_backoff=10_000, max_backoff=300_000)
async def produce_cadence_report(tenant_id: int, kind: str, period: str) -> None:
    made = await cadence.produce(database(), tenant_id, kind, period, now=datetime.now(UTC))
    log.info("cadence report %s %s of tenant %d: %s", kind, period, tenant_id, made)
