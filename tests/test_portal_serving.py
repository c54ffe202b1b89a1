"""The portal's files at / beside the API (complaintdesk/portal.py): the built files, index.html
for client-side routes, a plain answer when it is not built, and /demo-users.json, only with the
demo tenant, whose tokens sign in as one demo user per role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from conftest import DB_SUFFIX, TEST_SETTINGS, fresh_pg_database, need_service
from support import op

from complaintdesk.app import create_app
from server.db import migrate
from server.db.session import Database
from server.services import demo, demo_plan

INDEX = '<!doctype html><div id="app"></div><script src="/assets/app.js"></script>'


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A database of its own: whether the demo tenant exists is what these tests are about."""
    if request.param == "postgresql":
        need_service("PostgreSQL", "127.0.0.1", 5432)
        url = await fresh_pg_database(f"complaintdesk_portal_serving{DB_SUFFIX}")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}"
    database = Database(url)
    await migrate.upgrade(database.write_engine)
    yield database
    await database.dispose()


def built(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX)
    (dist / "assets" / "app.js").write_text("console.log('portal')")
    return dist


def client(database: Database, dist: Path) -> httpx.AsyncClient:
    app = create_app(TEST_SETTINGS, database, portal=dist)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://portal.test")


async def test_the_built_portal_is_served_with_its_routes_beside_the_api(empty_database, tmp_path):
    async with client(empty_database, built(tmp_path)) as http:
        home, route, script = (
            await http.get("/"),
            await http.get("/orders/V29ya09yZGVyOjE?x=1"),
            await http.get("/assets/app.js"),
        )
        missing = await http.get("/assets/gone.js")
        download = await http.get("/exports/orders.xlsx")
        api, health = (
            await http.post("/graphql", json={"query": "{ __typename }"}),
            await http.get("/healthz"),
        )
    assert home.status_code == route.status_code == 200
    assert home.text == route.text == INDEX
    assert script.text == "console.log('portal')"
    assert missing.status_code == 404 and missing.text != INDEX
    # /graphql, /healthz and the downloads are the API's: no token, no data.
    assert api.status_code == download.status_code == 401 and health.json() == {"status": "ok"}


async def test_an_unbuilt_portal_says_how_to_build_it(empty_database, tmp_path):
    async with client(empty_database, tmp_path / "nothing") as http:
        page = await http.get("/")
    assert page.status_code == 503 and "make portal" in page.text


async def test_demo_users_only_with_the_demo_and_their_tokens_sign_in(empty_database, tmp_path):
    async with client(empty_database, built(tmp_path)) as http:
        before = await http.get("/demo-users.json")
        await demo.load_demo(empty_database, orders=0, progress=lambda _line: None)
        users = (await http.get("/demo-users.json")).json()
        signed_in = [
            (
                await http.post(
                    "/graphql",
                    json={"query": op("Catalogue")},
                    headers={"Authorization": f"Bearer {user['token']}"},
                )
            ).json()["data"]["me"]
            for user in users
        ]
    assert before.status_code == 404
    plan = demo_plan.plan(demo_plan.default_profile())
    assert [(u["username"], u["role"], u["displayName"]) for u in users] == [
        (person.username, person.role, person.display) for person in plan.users
    ]
    assert [me["user"]["displayName"] for me in signed_in] == [u["displayName"] for u in users]
    assert all(
        any(r.startswith(f"{u['role']}@") for r in me["roles"])
        for u, me in zip(users, signed_in, strict=True)
    )
