"""What an operator's tools read: /readyz beside /healthz, Prometheus metrics at /metrics, and
JSON log lines stamped with the request id, tenant and operation."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import dramatiq
import httpx
from conftest import TEST_SETTINGS
from prometheus_client.parser import text_string_to_metric_families
from support import make_world, op

from complaintdesk.app import create_app
from server.adapters import metrics, telemetry
from server.db.models import OutboxMessage
from server.security.auth import Claims, mint
from workers import resources
from workers.actors import scan_deadlines
from workers.broker import broker


def client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition text (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return s.value
    return 0.0


async def test_readyz_checks_the_database_and_redis_beside_healthz(database):
    async with client(create_app(TEST_SETTINGS, database)) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        ready = await http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "database": "ok", "redis": "not used"}
    app = create_app(replace(TEST_SETTINGS, redis_url="redis://127.0.0.1:9/0"), database)
    async with client(app) as http:
        unready = await http.get("/readyz")
    assert unready.status_code == 503
    body = unready.json()
    assert body["status"] == "unready" and body["database"] == "ok"
    assert body["redis"].startswith("failing")


async def test_metrics_count_operations_errors_statuses_and_read_the_backlog(database):
    world = await make_world(database)
    owed_since = datetime.now(UTC) - timedelta(days=3)
    db = database.tenant(world.tenant_id)
    async with db.write() as session:
        session.add(
            OutboxMessage(
                key="owed-3-days",
                topic="test",
                subject="owed",
                body={},
                created_at=owed_since,
                next_attempt_at=owed_since,
            )
        )
    await db.close()
    token = mint(TEST_SETTINGS, Claims(str(world.users["se"]), world.tenant_id, False))
    headers = {"Authorization": f"Bearer {token}"}
    async with client(create_app(TEST_SETTINGS, database)) as http:
        before = (await http.get("/metrics")).text
        await http.post("/graphql", json={"query": op("Worklist")}, headers=headers)
        bad_id = {"query": op("OrderDetail"), "variables": {"id": "nonsense"}}
        await http.post("/graphql", json=bad_id, headers=headers)
        await http.post("/graphql", json={"query": "{ nope }"}, headers=headers)
        await http.post("/graphql", json={"query": op("Worklist")})  # no token: 401
        after = await http.get("/metrics")
    assert after.status_code == 200 and after.headers["content-type"].startswith("text/plain")
    text = after.text

    def grew(name: str, **labels: str) -> float:
        return sample(text, name, **labels) - sample(before, name, **labels)

    assert grew("complaintdesk_graphql_requests_total", operation="Worklist", kind="query") == 1
    assert grew("complaintdesk_graphql_request_duration_seconds_count", operation="Worklist") == 1
    assert grew("complaintdesk_graphql_errors_total", code="NotFound") == 1
    assert grew("complaintdesk_graphql_errors_total", code="GRAPHQL") >= 1  # the unknown field
    assert grew("complaintdesk_http_responses_total", status="401") == 1
    assert sample(text, "complaintdesk_outbox_backlog") >= 1
    assert sample(text, "complaintdesk_outbox_oldest_undelivered_age_seconds") >= 3 * 86400 - 60
    assert "complaintdesk_db_pool_connections" in text
    assert "complaintdesk_queue_depth" in text


async def test_a_scan_tick_reports_its_duration_and_due_orders(database, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database.url)
    resources.database.cache_clear()
    duration, due = metrics._scan()
    ticks = duration._sum.get()
    running = dramatiq.Worker(broker, worker_threads=1)
    running.start()
    try:
        scan_deadlines.send()
        await asyncio.to_thread(broker.join, scan_deadlines.queue_name, fail_fast=True)
    finally:
        running.stop()
        resources.database.cache_clear()
    assert duration._sum.get() > ticks
    assert due._value.get() >= 0


def test_operation_names_are_labelled_only_while_few_and_well_formed():
    assert metrics.operation_label(None) == "anonymous"
    assert metrics.operation_label("Worklist") == "Worklist"
    assert metrics.operation_label("13812345678 or; DROP") == "other"


async def test_log_lines_carry_request_id_tenant_and_operation(database):
    world = await make_world(database)
    token = mint(TEST_SETTINGS, Claims(str(world.users["se"]), world.tenant_id, False))
    sink = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    telemetry.configure(stream=sink)
    try:
        async with client(create_app(TEST_SETTINGS, database)) as http:
            await http.post(
                "/graphql",
                json={"query": op("Worklist")},
                headers={"Authorization": f"Bearer {token}", "X-Request-ID": "req-7"},
            )
            logging.getLogger("complaintdesk.test").info("after the request")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    lines = [json.loads(line) for line in sink.getvalue().splitlines()]
    stamped = [line for line in lines if line["request_id"] == "req-7"]
    assert stamped, lines
    assert {(line["tenant"], line["operation"]) for line in stamped} == {
        (world.tenant_id, "Worklist")
    }
