"""The GraphQL-over-HTTP audit (npm graphql-http's auditServer) against a live uvicorn server: a
fresh SQLite database with one tenant, the audit's requests carrying a user's bearer token."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from conftest import TEST_SETTINGS
from npm_support import npm_installed, run
from support import make_world

from server.db import migrate
from server.db.session import Database
from server.security.auth import Claims, mint

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def seeded_token(url: str) -> str:
    database = Database(url)
    try:
        await migrate.upgrade(database.write_engine)
        world = await make_world(database)
        return mint(TEST_SETTINGS, Claims(str(world.users["se"]), world.tenant_id, False))
    finally:
        await database.dispose()


def wait_until_answering(url: str, token: str, server: subprocess.Popen[bytes], log: Path) -> None:
    """Polls with a real query, which also loads the tenant before the audit's burst of requests."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if (
                httpx.get(
                    url,
                    params={"query": "{ __typename }"},
                    headers={"Authorization": f"Bearer {token}"},
                ).status_code
                == 200
            ):
                return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(
        f"the server did not answer at {url} (exit code {server.poll()}):\n"
        f"{log.read_text()[-3000:]}"
    )


@pytest.fixture(scope="module")
async def live_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[str, str]]:
    folder = tmp_path_factory.mktemp("live")
    database_url = f"sqlite+aiosqlite:///{folder / 'audit.db'}"
    token = await seeded_token(database_url)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "JWT_SECRET": TEST_SETTINGS.jwt_verify_key,
        "COMPLAINTDESK_VAR": str(folder),
    }
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
    log = folder / "server.log"
    url = f"http://127.0.0.1:{port}/graphql"
    with log.open("wb") as output:
        server = await asyncio.to_thread(
            subprocess.Popen, command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            wait_until_answering(url, token, server, log)
            yield url, token
        finally:
            server.terminate()
            server.wait(timeout=10)


def test_graphql_over_http_audit_has_no_failed_must_or_should(live_server):
    npm_installed()
    url, token = live_server
    audit = run(
        "node", "scripts/audit-http.mjs", url, env={"GRAPHQL_AUDIT_TOKEN": token}, timeout=120
    )
    results = json.loads(audit.stdout)
    failed = {r["id"]: f"{r['name']}: {r['reason']}" for r in results if r["status"] == "error"}
    response_json = {
        r["id"]: r["reason"]
        for r in results
        if "graphql-response+json" in r["name"] and r["status"] != "ok"
    }
    warned = {r["id"]: f"{r['name']}: {r['reason']}" for r in results if r["status"] == "warn"}
    assert len(results) > 50, results
    assert not failed, failed  # MUST
    assert not response_json, response_json  # the application/graphql-response+json media type
    assert not warned, warned  # SHOULD
