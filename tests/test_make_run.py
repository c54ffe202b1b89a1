"""`make run` from a fresh clone: migrate, load the demo, print a token per role, serve GraphQL;
then the printed operator token registers a complaint over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from conftest import DB_SUFFIX, as_login_role, need_service
from support import VIN, op

ROOT = Path(__file__).resolve().parents[1]
ROLES = ("operator", "care_specialist", "manager", "gm", "rbo", "se", "tenant_admin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_database(name: str) -> str:
    need_service("PostgreSQL", "127.0.0.1", 5432)
    subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-qc",
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        ],
        check=True,
    )
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f'CREATE DATABASE "{name}"'],
        check=True,
    )
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


def start(env: dict[str, str], port: int) -> tuple[subprocess.Popen[str], dict[str, str]]:
    cli = Path(sys.executable).with_name("complaintdesk")
    proc = subprocess.Popen(
        [str(cli), "run", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    tokens: dict[str, str] = {}
    deadline = time.monotonic() + 120
    assert proc.stdout is not None
    while len(tokens) < len(ROLES) and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        words = line.split()
        if len(words) == 2 and words[0] in ROLES:
            tokens[words[0]] = words[1]
    return proc, tokens


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_make_run_serves_the_demo_and_the_operator_token_registers_a_complaint(tmp_path, backend):
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "JWT_SECRET")
    }
    env["COMPLAINTDESK_VAR"] = str(tmp_path / "var")
    if backend == "postgresql":
        # as production runs it: migrated by the owner, served by the login role that owns nothing
        owner = pg_database(f"complaintdesk_run_test{DB_SUFFIX}")
        env["MIGRATION_DATABASE_URL"] = owner
        env["DATABASE_URL"] = as_login_role(owner)
    port = free_port()
    proc, tokens = start(env, port)
    try:
        assert set(tokens) == set(ROLES), tokens
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        headers = {"Authorization": f"Bearer {tokens['operator']}"}
        page = httpx.post(
            f"{url}/graphql",
            json={"query": op("Worklist"), "variables": {"first": 100}},
            headers=headers,
        ).json()
        edges = page["data"]["workOrders"]["edges"]
        assert len(edges) == 100 and page["data"]["workOrders"]["pageInfo"]["hasNextPage"]
        dealer = edges[0]["node"]["dealer"]["id"]
        registration = {
            "dealerId": dealer,
            "customer": {"name": "赵女士", "phones": ["13900001111"]},
            "vehicle": {"vin": VIN},
            "channel": "hotline_400",
            "category": "A4a",
            "summary": "试驾时销售顾问态度恶劣",
            "details": "客户原话：我再也不想来这家店了。",
        }
        result = httpx.post(
            f"{url}/graphql",
            json={"query": op("RegisterComplaint"), "variables": {"input": registration}},
            headers=headers,
        )
        order = result.json()["data"]["registerComplaint"]
        assert order["__typename"] == "WorkOrderPayload", order
        assert order["order"]["state"] == "unprocessed" and order["order"]["number"].startswith(
            "SKD-"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        assert proc.stdout is not None
        proc.stdout.close()
