"""GraphQL over HTTP: media types and status codes, GET for queries only, body size and timeout."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import httpx
import pytest
from conftest import TEST_SETTINGS
from support import make_world, op

from complaintdesk.app import create_app
from server.security.auth import Claims, mint
from server.settings import Limits

RESPONSE_JSON = "application/graphql-response+json"


def client(database, settings=TEST_SETTINGS) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(settings, database)), base_url="http://test"
    )


async def token_for(database) -> dict[str, str]:
    world = await make_world(database)
    claims = Claims(str(world.users["se"]), world.tenant_id, False)
    return {"Authorization": f"Bearer {mint(TEST_SETTINGS, claims)}"}


REQUEST_ERRORS = {
    "parse": {"query": "{ workOrders("},
    "validation": {"query": "{ noSuchField }"},
    "variable coercion": {"query": op("Worklist"), "variables": {"first": "twenty"}},
    "over a limit": {"query": "{ workOrders(first: 10000) { __typename } }"},
}


@pytest.mark.parametrize("case", REQUEST_ERRORS)
async def test_a_request_error_is_400_without_data_in_graphql_response_json(database, case):
    headers = await token_for(database)
    async with client(database) as http:
        modern = await http.post(
            "/graphql", json=REQUEST_ERRORS[case], headers={**headers, "Accept": RESPONSE_JSON}
        )
        legacy = await http.post(
            "/graphql", json=REQUEST_ERRORS[case], headers={**headers, "Accept": "application/json"}
        )
    assert modern.status_code == 400 and modern.headers["content-type"] == RESPONSE_JSON
    assert "data" not in modern.json() and modern.json()["errors"]
    assert legacy.status_code == 200 and legacy.headers["content-type"] == "application/json"
    assert legacy.json()["data"] is None and legacy.json()["errors"]


async def test_a_result_is_200_in_the_media_type_asked_for(database):
    headers = await token_for(database)
    body = {"query": op("Worklist"), "variables": {"first": 5}}
    async with client(database) as http:
        modern = await http.post(
            "/graphql",
            json=body,
            headers={**headers, "Accept": f"{RESPONSE_JSON}, application/json;q=0.9"},
        )
        default = await http.post("/graphql", json=body, headers=headers)
    assert modern.status_code == 200 and modern.headers["content-type"] == RESPONSE_JSON
    assert modern.json()["data"]["workOrders"]["edges"] == []
    assert default.status_code == 200 and default.headers["content-type"] == "application/json"


async def test_a_field_error_keeps_200_and_data(database, monkeypatch):
    headers = await token_for(database)

    async def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("server.services.queries.order_page", broken)
    async with client(database) as http:
        response = await http.post(
            "/graphql", json={"query": op("Worklist")}, headers={**headers, "Accept": RESPONSE_JSON}
        )
    assert response.status_code == 200 and "data" in response.json()
    assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL"


async def test_get_runs_queries_and_refuses_mutations_with_405(database):
    headers = await token_for(database)
    mutation = op("AssignWorkOrder")
    async with client(database) as http:
        query = await http.get("/graphql", params={"query": op("Catalogue")}, headers=headers)
        refused = await http.get(
            "/graphql", params={"query": mutation, "variables": "{}"}, headers=headers
        )
        put = await http.put("/graphql", json={"query": op("Catalogue")}, headers=headers)
    assert query.status_code == 200 and query.json()["data"]["catalogue"]["channels"]
    assert refused.status_code == 405 and refused.headers["allow"] == "POST"
    assert "POST" in refused.json()["errors"][0]["message"]
    assert put.status_code == 405 and put.headers["allow"] == "GET, POST"


async def test_a_request_body_over_the_limit_is_refused_with_413(database):
    headers = await token_for(database)
    settings = replace(TEST_SETTINGS, limits=Limits(body_bytes=2_000))
    padding = " " * 3_000

    async def chunks():  # no Content-Length: the limit is applied while reading
        yield b'{"query": "{ __typename }' + padding.encode()
        yield b'"}'

    async with client(database, settings) as http:
        declared = await http.post(
            "/graphql", json={"query": "{ __typename }" + padding}, headers=headers
        )
        streamed = await http.post(
            "/graphql", content=chunks(), headers={**headers, "Content-Type": "application/json"}
        )
        small = await http.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
    for response in (declared, streamed):
        assert response.status_code == 413
        assert (
            response.json()["errors"][0]["message"]
            == "the request body exceeds the limit of 2000 bytes (limit: body_bytes)"
        )
    assert small.status_code == 200 and small.json() == {"data": {"__typename": "Query"}}


async def test_a_request_over_the_timeout_is_stopped_with_504(database, monkeypatch):
    headers = await token_for(database)
    settings = replace(TEST_SETTINGS, limits=Limits(timeout_seconds=0.2))

    async def slow(*_args, **_kwargs):
        await asyncio.sleep(5)

    monkeypatch.setattr("server.services.queries.order_page", slow)
    async with client(database, settings) as http:
        response = await http.post(
            "/graphql", json={"query": op("Worklist")}, headers={**headers, "Accept": RESPONSE_JSON}
        )
    assert response.status_code == 504 and "data" not in response.json()
    error = response.json()["errors"][0]
    assert error["message"] == (
        "the request took longer than the limit of 0.2 s and was stopped (limit: timeout_seconds)"
    )
    assert error["extensions"] == {"code": "LIMIT_EXCEEDED", "limit": "timeout_seconds"}


MALFORMED_BODIES = {
    "a JSON string": b'"{ __typename }"',
    "null": b"null",
    "invalid UTF-8": b'{"query": "{ __typename \xff }"}',
    "nested thousands of levels deep": b'{"query": "{ __typename }", "x": %s}'
    % (b"[" * 5000 + b"]" * 5000),
}


@pytest.mark.parametrize("case", MALFORMED_BODIES)
async def test_a_malformed_body_is_400_with_a_graphql_error_body(database, case):
    headers = {**await token_for(database), "Content-Type": "application/json"}
    async with client(database) as http:
        response = await http.post("/graphql", content=MALFORMED_BODIES[case], headers=headers)
    assert response.status_code == 400
    assert list(response.json()) == ["errors"] and response.json()["errors"][0]["message"]


async def test_a_subscription_sent_over_http_is_a_request_error(database):
    headers = await token_for(database)
    body = {"query": "subscription { boardCounters { at } }"}
    async with client(database) as http:
        modern = await http.post("/graphql", json=body, headers=headers | {"Accept": RESPONSE_JSON})
        legacy = await http.post("/graphql", json=body, headers=headers)
    assert modern.status_code == 400 and "data" not in modern.json()
    assert "WebSocket" in modern.json()["errors"][0]["message"]
    assert legacy.status_code == 200 and legacy.json()["data"] is None
    assert "WebSocket" in legacy.json()["errors"][0]["message"]
