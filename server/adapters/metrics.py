"""Prometheus metrics (prometheus_client, the maintained client library): what the server and the
workers count as they go. What is read from the database or Redis when scraped (outbox backlog,
queue depth, pool use) is gathered by the /metrics endpoint (complaintdesk/observability.py).

Labels never hold a tenant, a user or anything a client typed freely: an operation name is kept
only while there are few of them (a client could otherwise mint a series per request)."""

from __future__ import annotations

import re
from functools import cache

from prometheus_client import Counter, Gauge, Histogram

OPERATIONS_KEPT = 200  # distinct operation names labelled; later ones count as "other"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_seen: set[str] = set()

REQUESTS = Counter(
    "complaintdesk_graphql_requests",
    "GraphQL operations answered, by operation name and type.",
    ["operation", "kind"],
)
LATENCY = Histogram(
    "complaintdesk_graphql_request_duration_seconds",
    "Time to answer a GraphQL operation (parse, validate, execute), by operation name.",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
ERRORS = Counter(
    "complaintdesk_graphql_errors",
    "Errors answered, by code: a request error's extensions.code, or a result union's member"
    " (ValidationError, NotFound, NotPermitted, Conflict, TransitionNotAllowed).",
    ["code"],
)
EXECUTIONS = Counter(
    "complaintdesk_graphql_executions",
    "GraphQL operations executed, by operation name and path: compiled (one PostgreSQL statement"
    " builds the answer, schema/compiled.py) or interpreted (graphql-core resolves it).",
    ["operation", "path"],
)
COMPILED_OPERATIONS = Gauge(
    "complaintdesk_graphql_persisted_operations",
    "Persisted operations by the path start-up gave them: compiled or interpreted.",
    ["operation", "path"],
    multiprocess_mode="mostrecent",
)
HTTP = Counter("complaintdesk_http_responses", "HTTP responses by status code.", ["status"])


def operation_label(name: str | None) -> str:
    if not name:
        return "anonymous"
    if name in _seen:
        return name
    if _NAME.fullmatch(name) and len(_seen) < OPERATIONS_KEPT:
        _seen.add(name)
        return name
    return "other"


# The scan runs in worker processes, whose metrics Dramatiq's Prometheus middleware collects from
# files once the process has booted: made on first use, they are made after that.
@cache
def _scan() -> tuple[Histogram, Gauge]:
    return (
        Histogram(
            "complaintdesk_deadline_scan_duration_seconds",
            "Time one deadline scan tick took.",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
        ),
        Gauge(
            "complaintdesk_deadline_scan_due_orders",
            "Orders the last deadline scan found due.",
            multiprocess_mode="mostrecent",
        ),
    )


def scan_observed(seconds: float, due: int) -> None:
    duration, due_orders = _scan()
    duration.observe(seconds)
    due_orders.set(due)
