"""Abuse limits: a token and an IP address spend GraphQL cost per window; a spent window answers
429 with Retry-After and a GraphQL error body, executes nothing and changes nothing. Counted in
the process by default and in Redis with REDIS_URL, where two server processes share the count."""

from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from dataclasses import replace

import httpx
import pytest
from conftest import TEST_SETTINGS, need_service
from sqlalchemy import func, select
from support import make_world, op, registration

from complaintdesk.app import create_app
from server.adapters.rate_limits import MemoryStore
from server.db.models import WorkOrder
from server.security.auth import Claims, mint
from server.settings import ConfigurationError, RateLimits, load

WORKLIST = {"query": op("Worklist"), "variables": {"first": 5}}


def settings(per_token: int = 10**9, per_ip: int = 10**9, **more):
    return replace(
        TEST_SETTINGS, rate_limits=RateLimits(per_token, per_ip, window_seconds=60), **more
    )


_minted: dict[tuple[int, str], str] = {}


def token(world, username: str) -> dict[str, str]:
    """One token per person for the whole test: a token minted a second later is another token,
    counted on its own."""
    key = (world.tenant_id, username)
    if key not in _minted:
        claims = Claims(str(world.users[username]), world.tenant_id, False)
        _minted[key] = mint(TEST_SETTINGS, claims)
    return {"Authorization": f"Bearer {_minted[key]}"}


def client(app, address: str = "10.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 1234))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def cost_of_worklist(database, world) -> int:
    """What one Worklist request is charged: the limits below are set in such requests."""
    app = create_app(settings(per_token=10**9), database)
    async with client(app) as http:
        await http.post("/graphql", json=WORKLIST, headers=token(world, "se"))
    store = app_store(app)
    return next(used for _end, used in store.windows.values())


def authenticate(app):
    """The app's Authenticate middleware, under the ones wrapping it."""
    while not hasattr(app, "limiter"):
        app = app.app
    return app


def app_store(app) -> MemoryStore:
    return authenticate(app).limiter.store


@asynccontextmanager
async def closing(app):
    """The app's Redis connection closed at the end, as its lifespan does when served."""
    try:
        yield
    finally:
        await authenticate(app).limiter.close()


async def orders(database, world) -> int:
    async with database.reader(world.tenant_id) as session:
        return await session.scalar(select(func.count()).select_from(WorkOrder))


async def test_a_token_past_its_window_gets_429_retry_after_and_nothing_runs(database):
    world = await make_world(database)
    cost = await cost_of_worklist(database, world)
    app = create_app(settings(per_token=3 * cost), database)
    async with client(app) as http:
        for _ in range(3):
            ok = await http.post("/graphql", json=WORKLIST, headers=token(world, "se"))
            assert ok.status_code == 200, ok.text
        refused = await http.post("/graphql", json=WORKLIST, headers=token(world, "se"))
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        error = refused.json()["errors"][0]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert error["extensions"]["scope"] == "token"
        assert refused.json().get("data") is None
        register = {"query": op("RegisterComplaint"), "variables": {"input": registration(world)}}
        before = await orders(database, world)
        again = await http.post("/graphql", json=register, headers=token(world, "se"))
        assert again.status_code == 429 and await orders(database, world) == before
        # another token is counted on its own
        other = await http.post("/graphql", json=WORKLIST, headers=token(world, "operator"))
        assert other.status_code == 200, other.text


async def test_an_address_is_limited_across_its_tokens_and_other_addresses_are_not(database):
    world = await make_world(database)
    cost = await cost_of_worklist(database, world)
    app = create_app(settings(per_ip=2 * cost), database)
    async with client(app, "10.0.0.7") as http:
        for username in ("se", "operator"):
            ok = await http.post("/graphql", json=WORKLIST, headers=token(world, username))
            assert ok.status_code == 200
        refused = await http.post("/graphql", json=WORKLIST, headers=token(world, "care_a"))
        assert refused.status_code == 429
        assert refused.json()["errors"][0]["extensions"]["scope"] == "ip"
    async with client(app, "10.0.0.8") as http:
        ok = await http.post("/graphql", json=WORKLIST, headers=token(world, "care_a"))
        assert ok.status_code == 200


async def test_cost_weighs_the_request_a_bigger_page_spends_more():
    store = MemoryStore(clock=lambda: 100.0)
    assert await store.charge("token:x", 7, 60_000) == (7, 60_000)
    assert await store.charge("token:x", 5, 60_000) == (12, 60_000)
    store.clock = lambda: 160.0  # the window ended: a new one starts
    assert await store.charge("token:x", 5, 60_000) == (5, 60_000)


async def test_the_default_limits_are_generous_and_bad_values_are_refused():
    defaults = load({}).rate_limits
    assert defaults.per_token >= 100 * load({}).limits.cost
    with pytest.raises(ConfigurationError, match="RATE_LIMIT_TOKEN"):
        load({"RATE_LIMIT_TOKEN": "100"})
    with pytest.raises(ConfigurationError, match="RATE_LIMIT_WINDOW_SECONDS"):
        load({"RATE_LIMIT_WINDOW_SECONDS": "-1"})


@pytest.mark.redis
async def test_with_redis_two_server_processes_share_the_count(database):
    need_service("Redis", "127.0.0.1", 6379)
    world = await make_world(database)
    cost = await cost_of_worklist(database, world)
    shared = settings(
        per_token=2 * cost,
        redis_url="redis://127.0.0.1:6379/0",
        queue_namespace=f"test-{uuid.uuid4().hex[:8]}",
    )
    first, second = create_app(shared, database), create_app(shared, database)
    async with client(first) as one, client(second) as two, closing(first), closing(second):
        assert (await one.post("/graphql", json=WORKLIST, headers=token(world, "se"))).is_success
        assert (await two.post("/graphql", json=WORKLIST, headers=token(world, "se"))).is_success
        refused = await one.post("/graphql", json=WORKLIST, headers=token(world, "se"))
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        refused = await two.post("/graphql", json=WORKLIST, headers=token(world, "se"))
        assert refused.status_code == 429


async def test_an_unreachable_redis_counts_in_the_process_and_keeps_serving(database):
    world = await make_world(database)
    cost = await cost_of_worklist(database, world)
    app = create_app(settings(per_token=2 * cost, redis_url="redis://127.0.0.1:9/0"), database)
    async with client(app) as http, closing(app):
        for _ in range(2):
            ok = await http.post("/graphql", json=WORKLIST, headers=token(world, "se"))
            assert ok.status_code == 200, ok.text
        refused = await http.post("/graphql", json=WORKLIST, headers=token(world, "se"))
        assert refused.status_code == 429


async def test_guessing_tokens_spends_the_address_and_then_answers_429(database):
    world = await make_world(database)
    app = create_app(settings(per_ip=3 * 1000 + 10), database)
    forged = {"Authorization": "Bearer not-a-token"}
    async with client(app, "10.0.0.9") as http:
        statuses = [
            (await http.post("/graphql", json=WORKLIST, headers=forged)).status_code
            for _ in range(4)
        ]
        assert statuses == [401, 401, 401, 429]
        refused = await http.post("/graphql", json=WORKLIST, headers=token(world, "se"))
        assert refused.status_code == 429 and refused.headers["retry-after"]
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
