"""The logs of a whole flow hold no phone number, VIN, token or secret (DOMAIN.md Part I item 12):
register, assign, contact, resolve, repeat calls, a slip, a revisit, the deadline scan and the
notifications, requests over HTTP (one with a bad token, one failing inside), all written through
the deployment's JSON log format and scanned."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
from conftest import TEST_SETTINGS
from support import VIN, make_world, op, register

from complaintdesk.app import create_app
from server.adapters import telemetry
from server.adapters.notifications import LogSender
from server.domain.retry import RetryPolicy
from server.security.auth import Claims, mint
from server.services import deadlines, outbox

SH = ZoneInfo("Asia/Shanghai")
CUSTOMER = {
    "name": "王先生",
    "phones": ["13812345678", "021-6234 5678"],
    "address": "上海市浦东新区1号",
}
ECHO = (*telemetry.PARAMETER_ECHO, "uvicorn", "dramatiq")
FORBIDDEN = ("13812345678", "1381234", "62345678", VIN, "上海市浦东新区", "eyJ")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


async def step(world, username: str, operation: str, order_id: str, **fields) -> dict:
    version = (await world.gql("care_a", "OrderDetail", id=order_id))["workOrder"]["version"]
    data = await world.gql(
        username, operation, input={"id": order_id, "expectedVersion": version, **fields}
    )
    result = next(iter(data.values()))
    assert "order" in result, result
    return result


async def flow(world) -> str:
    world.clock.now = at("2025-09-30 10:00")
    order = await register(world, customer=CUSTOMER)
    for words in ("还没人联系我，电话13812345678", "我又打来了", "第三次"):
        called = await world.gql(
            "operator",
            "RecordCustomerCall",
            input={"id": order["id"], "channel": "hotline_400", "words": words},
        )
    slip = called["recordCustomerCall"]["order"]["warningSlips"][0]
    await world.gql("rbo_east", "AcknowledgeSlip", id=slip["id"])
    await step(world, "care_a", "TransitionWorkOrder", order["id"], transition="review")
    await step(
        world,
        "manager_a",
        "AssignWorkOrder",
        order["id"],
        primaryHandlerId=world.user_gid("care_a"),
    )
    await step(world, "care_a", "LogContactAttempt", order["id"], outcome="REACHED")
    await step(world, "care_a", "CloseWorkOrder", order["id"], resolution="补发脚垫")
    revisit = (await world.gql("care_a", "Revisits"))["revisits"]["nodes"][0]
    await world.gql(
        "care_a", "LogRevisitAttempt", input={"id": revisit["id"], "outcome": "NO_ANSWER"}
    )
    world.clock.now = at("2025-10-02 10:00")
    await register(world, customer=CUSTOMER)  # the repeat complaint
    await world.gql("operator", "CustomerLookup", phone="13812345678")
    return order["id"]


async def test_the_logs_of_a_whole_flow_hold_no_personal_data_or_secret(
    database, monkeypatch, tmp_path
):
    sink = io.StringIO()
    signing_key = TEST_SETTINGS.jwt_signing_key
    root = logging.getLogger()
    saved = root.handlers[:], root.level, {n: logging.getLogger(n).level for n in ECHO}
    telemetry.configure([signing_key, database.url], stream=sink, level=logging.DEBUG)
    try:
        world = await make_world(database)
        order_id = await flow(world)
        now = datetime(2026, 1, 1, tzinfo=UTC)
        await deadlines.scan(database, now, 1000)
        sender = LogSender(str(tmp_path / "notifications.jsonl"))
        async for page in outbox.due(database, now):
            for tenant_id, message_id in page:
                if tenant_id == world.tenant_id:
                    await outbox.deliver(
                        database,
                        tenant_id,
                        message_id,
                        sender=sender,
                        now=now,
                        policy=RetryPolicy(),
                    )
        token = mint(TEST_SETTINGS, Claims(str(world.users["care_a"]), world.tenant_id, False))

        async def broken(*_args, **_kwargs):
            raise RuntimeError(f"customer 13812345678, VIN {VIN}, key {signing_key}")

        monkeypatch.setattr("server.services.queries.order_page", broken)
        transport = httpx.ASGITransport(app=create_app(TEST_SETTINGS, database))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            detail = {"query": op("OrderDetail"), "variables": {"id": order_id}}
            shown = await http.post(
                "/graphql", json=detail, headers={"Authorization": f"Bearer {token}"}
            )
            assert "+8613812345678" in shown.text  # care_a sees it: the logs must not
            failing = {"query": op("Worklist"), "variables": {"first": 5}}
            failed = await http.post(
                "/graphql", json=failing, headers={"Authorization": f"Bearer {token}"}
            )
            assert failed.json()["errors"][0]["extensions"]["code"] == "INTERNAL"
            refused = await http.post(
                "/graphql", json=failing, headers={"Authorization": f"Bearer {token}x"}
            )
            assert refused.status_code == 401
    finally:
        root.handlers[:], level, echo = saved
        root.setLevel(level)
        for name, was in echo.items():
            logging.getLogger(name).setLevel(was)
    lines = [json.loads(line) for line in sink.getvalue().splitlines()]
    text = sink.getvalue()
    assert any(line["logger"] == "complaintdesk.notify" for line in lines)  # logs were written
    assert any("RuntimeError" in line.get("error", "") for line in lines)  # and the traceback
    for forbidden in (*FORBIDDEN, signing_key, token, "Bearer"):
        assert forbidden not in text, forbidden
    assert not any(line["message"] != telemetry.redact(line["message"]) for line in lines)
    failing_line = next(line for line in lines if "RuntimeError" in line.get("error", ""))
    assert failing_line["tenant"] == world.tenant_id and failing_line["request_id"]


def test_redaction_covers_the_forms_a_number_or_token_takes():
    text = (
        "call +86 138-1234-5678 or 13812345678, vin LSVJETH8171PG8B14, "
        "Authorization: Bearer abc.def, postgresql://app:pw123@db/x, jwt eyJhbGciOi.eyJzdWIi.sig"
    )
    redacted = telemetry.redact(text, ["s3cret-key!"])
    for leaked in ("5678", "LSVJETH8171PG8B14", "abc.def", "pw123", "eyJ"):
        assert leaked not in redacted, (leaked, redacted)
    assert telemetry.redact("order SKD-2025-000123 v3") == "order SKD-2025-000123 v3"
