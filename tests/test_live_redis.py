"""Subscriptions across server processes: two uvicorn processes on one PostgreSQL database and one
Redis, WebSocket clients speaking graphql-transport-ws as a portal does."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import DB_SUFFIX, TEST_SETTINGS, as_login_role, fresh_pg_database, need_service
from support import make_world, op, registration
from test_http_audit import free_port
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from schema.persisted import sha256
from server.db import migrate
from server.db.session import Database
from server.security.auth import Claims, mint

ROOT = Path(__file__).resolve().parents[1]
PG_DB = f"complaintdesk_live_test{DB_SUFFIX}"
PROTOCOL = "graphql-transport-ws"

pytestmark = pytest.mark.redis


@pytest.fixture(scope="module")
async def cluster(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[str, Any]]:
    """Two server processes; the world (tenant, dealers, people) and a token per person."""
    need_service("PostgreSQL", "127.0.0.1", 5432)
    need_service("Redis", "127.0.0.1", 6379)
    owner = Database(await fresh_pg_database(PG_DB))
    await migrate.upgrade(owner.engine)
    await owner.dispose()
    database = Database(as_login_role(owner.url))  # the servers log in as production's do
    world = await make_world(database)
    tokens = {
        name: mint(TEST_SETTINGS, Claims(str(uid), world.tenant_id, False))
        for name, uid in world.users.items()
    }
    folder = tmp_path_factory.mktemp("cluster")
    env = {
        **os.environ,
        "DATABASE_URL": database.url,
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "JWT_SECRET": TEST_SETTINGS.jwt_verify_key,
        "COMPLAINTDESK_VAR": str(folder),
        "CORS_ORIGINS": "https://portal.example",
        # only the contract's operations, subscriptions included
        "GRAPHQL_LIMIT_PERSISTED_ONLY": "true",
    }
    servers, ports = [], [free_port(), free_port()]
    try:
        for port in ports:
            command = [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "complaintdesk.app:create_app",
                "--port",
                str(port),
                "--no-access-log",
            ]
            with (folder / f"server-{port}.log").open("wb") as log:  # the child keeps its own copy
                servers.append(
                    await asyncio.to_thread(
                        subprocess.Popen,
                        command,
                        cwd=ROOT,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
        for port, server in zip(ports, servers, strict=True):
            _wait_until_serving(port, tokens["se"], server, folder / f"server-{port}.log")
        yield {"world": world, "tokens": tokens, "ports": ports}
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
        await database.dispose()


def _wait_until_serving(port: int, token: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.poll() is None:
        try:
            answer = httpx.post(
                f"http://127.0.0.1:{port}/graphql",
                json={"query": op("Board")},
                headers={"Authorization": f"Bearer {token}"},
            )
            if answer.status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(
        f"server on port {port} did not answer (exit code {server.poll()}):\n"
        f"{log.read_text()[-3000:]}"
    )


async def _open(port: int, payload: dict[str, Any], **headers: str) -> ClientConnection:
    socket = await connect(
        f"ws://127.0.0.1:{port}/graphql", subprotocols=[PROTOCOL], additional_headers=headers
    )
    await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
    return socket


async def _subscriber(port: int, token: str) -> ClientConnection:
    """Subscribed to OrderEvents (id "events", by its persisted id alone) and BoardCounters (id
    "board", by its text); returns once the board's first message shows the server is listening."""
    socket = await _open(port, {"Authorization": f"Bearer {token}"})
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    by_hash = {
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256(op("OrderEvents"))}}
    }
    await socket.send(json.dumps({"id": "events", "type": "subscribe", "payload": by_hash}))
    await socket.send(
        json.dumps({"id": "board", "type": "subscribe", "payload": {"query": op("BoardCounters")}})
    )
    first = await _message(socket, "board", 5)
    assert first is not None and first["type"] == "next", first
    return socket


async def _message(socket: ClientConnection, sub_id: str, seconds: float) -> dict[str, Any] | None:
    """The next message of one subscription within `seconds`, or None."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = json.loads(await asyncio.wait_for(socket.recv(), left))
        except TimeoutError:
            return None
        if message.get("id") == sub_id:
            return message
    return None


async def _register(port: int, token: str, world: Any, dealer: str) -> dict[str, Any]:
    data = registration(
        world,
        dealer,
        customer={"name": "李女士", "phones": [f"139{uuid.uuid4().int % 10**8:08d}"]},
        vehicle=None,
    )
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": op("RegisterComplaint"), "variables": {"input": data}},
            headers={"Authorization": f"Bearer {token}"},
        )
    result = answer.json()["data"]["registerComplaint"]
    assert result["__typename"] == "WorkOrderPayload", result
    return result["order"]


async def test_an_event_made_on_one_process_reaches_a_subscriber_on_the_other_within_a_second(
    cluster,
):
    world, tokens, (first, second) = cluster["world"], cluster["tokens"], cluster["ports"]
    for_a, for_b = (
        await _subscriber(first, tokens["care_a"]),
        await _subscriber(first, tokens["care_b"]),
    )
    try:
        sent = time.monotonic()
        order = await _register(second, tokens["operator"], world, "a")
        event = await _message(for_a, "events", 1.0)
        assert event is not None, "no event within a second"
        assert time.monotonic() - sent < 1.0
        payload = event["payload"]["data"]["orderEvents"]
        assert (payload["orderId"], payload["kind"], payload["order"]["number"]) == (
            order["id"],
            "registered",
            order["number"],
        )

        assert (
            await _message(for_b, "events", 1.5) is None
        )  # another dealer's care specialist hears nothing
        other = await _register(second, tokens["operator"], world, "b")
        event_b = await _message(for_b, "events", 2.0)
        assert (
            event_b is not None
            and event_b["payload"]["data"]["orderEvents"]["orderId"] == other["id"]
        )
    finally:
        await for_a.close()
        await for_b.close()


@pytest.mark.parametrize(
    "payload", [{}, {"Authorization": "Bearer not-a-token"}], ids=["no token", "forged token"]
)
async def test_a_connection_without_a_valid_token_is_closed_before_anything_runs(cluster, payload):
    socket = await _open(cluster["ports"][0], payload)
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(socket.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_a_query_runs_over_the_socket_too(cluster):
    socket = await _open(
        cluster["ports"][1], {"Authorization": f"Bearer {cluster['tokens']['manager_b']}"}
    )
    try:
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        await socket.send(
            json.dumps({"id": "q", "type": "subscribe", "payload": {"query": op("Board")}})
        )
        answer, done = await _message(socket, "q", 5), await _message(socket, "q", 5)
    finally:
        await socket.close()
    assert answer is not None and answer["payload"]["data"]["board"]["__typename"] == "Board"
    assert done == {"id": "q", "type": "complete"}


async def test_a_document_outside_the_contract_is_refused_for_a_persisted_only_tenant(cluster):
    socket = await _open(
        cluster["ports"][0], {"Authorization": f"Bearer {cluster['tokens']['se']}"}
    )
    try:
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        ad_hoc = {"query": "subscription { orderEvents { id kind } }"}
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": ad_hoc}))
        refused = await _message(socket, "1", 5)
    finally:
        await socket.close()
    assert refused is not None and refused["type"] == "error"
    assert refused["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"


async def test_a_page_from_an_origin_its_tenant_has_not_registered_is_closed_at_connection_init(
    cluster,
):
    socket = await _open(
        cluster["ports"][0],
        {"Authorization": f"Bearer {cluster['tokens']['care_a']}"},
        Origin="https://evil.example",
    )
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(socket.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_the_registered_portal_origin_and_the_handshake_header_are_accepted(cluster):
    token = cluster["tokens"]["se"]
    socket = await _open(
        cluster["ports"][0], {}, Origin="https://portal.example", Authorization=f"Bearer {token}"
    )
    try:
        assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "connection_ack"
    finally:
        await socket.close()
