"""CORS: browsers may call only from a tenant's registered portal origins; nothing else is
allowed."""

from __future__ import annotations

import uuid
from dataclasses import replace

import httpx
import pytest
from conftest import TEST_SETTINGS
from support import PROFILE, make_world

from complaintdesk.app import create_app
from server.profiles import ProfileInvalidError, parse_profile
from server.security.auth import Claims, mint
from server.settings import ConfigurationError

PORTAL = "https://portal.skoda.example"
SETTINGS = replace(TEST_SETTINGS, cors_origins=(PORTAL, "https://portal.vw.example"))
QUERY = {"query": "{ __typename }"}


def client(database, settings=SETTINGS) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(settings, database)),
        base_url="http://api.test",
    )


def preflight(
    origin: str, method: str = "POST", headers: str = "authorization, content-type"
) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


async def test_a_preflight_from_a_registered_origin_is_answered(database):
    async with client(database) as http:
        response = await http.options("/graphql", headers=preflight(PORTAL))
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == PORTAL
    assert response.headers["access-control-allow-methods"] == "GET, POST"
    assert "authorization" in response.headers["access-control-allow-headers"]
    assert response.headers["vary"] == "Origin"
    assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize(
    "headers",
    [
        preflight("https://evil.example"),
        preflight(PORTAL, method="DELETE"),
        preflight(PORTAL, headers="authorization, x-forwarded-for"),
    ],
    ids=["unregistered origin", "other method", "other header"],
)
async def test_any_other_preflight_is_refused(database, headers):
    async with client(database) as http:
        response = await http.options("/graphql", headers=headers)
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


async def test_requests_from_a_registered_origin_are_readable_and_others_refused(database):
    world = await make_world(database)
    claims = Claims(str(world.users["se"]), world.tenant_id, False)
    auth = {"Authorization": f"Bearer {mint(TEST_SETTINGS, claims)}"}
    async with client(database) as http:
        allowed = await http.post("/graphql", json=QUERY, headers={**auth, "Origin": PORTAL})
        unauthorized = await http.post("/graphql", json=QUERY, headers={"Origin": PORTAL})
        foreign = await http.post(
            "/graphql", json=QUERY, headers={**auth, "Origin": "https://evil.example"}
        )
        same_origin = await http.post(
            "/graphql", json=QUERY, headers={**auth, "Origin": "http://api.test"}
        )
        no_origin = await http.post("/graphql", json=QUERY, headers=auth)
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == PORTAL
    assert allowed.headers["access-control-expose-headers"] == "X-Request-ID"
    assert (
        unauthorized.status_code == 401
        and unauthorized.headers["access-control-allow-origin"] == PORTAL
    )
    assert foreign.status_code == 403 and "access-control-allow-origin" not in foreign.headers
    for response in (
        same_origin,
        no_origin,
    ):  # GraphiQL on this server; curl, servers, the test suite
        assert response.status_code == 200 and "access-control-allow-origin" not in response.headers


async def test_without_registered_origins_no_browser_may_call_from_elsewhere(database):
    async with client(database, TEST_SETTINGS) as http:
        response = await http.options("/graphql", headers=preflight(PORTAL))
    assert response.status_code == 403


async def test_a_tenant_may_be_called_only_from_its_own_portals(database):
    """Origins come from each tenant's portal.yaml; a preflight (no token) passes for any
    tenant's."""
    vw_portal = f"https://portal-{uuid.uuid4().hex[:8]}.vw.example"
    await make_world(database, portal={"origins": [PORTAL]})
    vw = await make_world(database, portal={"origins": [vw_portal]})
    vw_token = mint(TEST_SETTINGS, Claims(str(vw.users["se"]), vw.tenant_id, False))
    async with client(database, TEST_SETTINGS) as http:  # no deployment-wide origins
        asked = await http.options("/graphql", headers=preflight(vw_portal))
        wrong = await http.post(
            "/graphql",
            json=QUERY,
            headers={"Authorization": f"Bearer {vw_token}", "Origin": PORTAL},
        )
        right = await http.post(
            "/graphql",
            json=QUERY,
            headers={"Authorization": f"Bearer {vw_token}", "Origin": vw_portal},
        )
    assert asked.status_code == 204 and asked.headers["access-control-allow-origin"] == vw_portal
    assert (
        wrong.status_code == 403
        and "not a registered portal origin" in wrong.json()["errors"][0]["message"]
    )
    assert right.status_code == 200 and right.headers["access-control-allow-origin"] == vw_portal


async def test_a_portal_origin_must_be_an_origin():
    with pytest.raises(
        ProfileInvalidError,
        match=r"portal.yaml: origins\[0\]: 'https://portal.example/app' is not an origin",
    ):
        parse_profile(
            {**PROFILE.documents, "portal.yaml": {"origins": ["https://portal.example/app"]}}
        )


NOT_ORIGINS = ["portal.skoda.example", "https://portal.skoda.example/app", "ftp://portal.example"]


@pytest.mark.parametrize("bad", NOT_ORIGINS)
def test_a_cors_origin_that_is_not_an_origin_stops_the_app_at_construction(database, bad):
    with pytest.raises(ConfigurationError, match=f"CORS_ORIGINS: '{bad}' is not an origin"):
        create_app(replace(TEST_SETTINGS, cors_origins=(PORTAL, bad)), database)
