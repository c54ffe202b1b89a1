"""Persisted operations: the contract's documents by sha256 (APQ shape), and tenants that run only
those."""

from __future__ import annotations

import json
from dataclasses import replace

import httpx
import pytest
from conftest import TEST_SETTINGS
from support import OPERATIONS, make_world, op

from complaintdesk.app import create_app
from schema.persisted import PersistedOperations, sha256
from server.security.auth import Claims, mint
from server.settings import Limits

PERSISTED_ONLY = replace(TEST_SETTINGS, limits=Limits(persisted_only=True))


def client(database, settings=TEST_SETTINGS) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(settings, database)), base_url="http://test"
    )


async def token_for(database) -> dict[str, str]:
    world = await make_world(database)
    claims = Claims(str(world.users["se"]), world.tenant_id, False)
    return {"Authorization": f"Bearer {mint(TEST_SETTINGS, claims)}"}


def by_hash(name: str) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256(op(name))}}


def test_the_manifest_holds_every_contract_operation_by_its_sha256():
    documents = PersistedOperations.load().documents
    assert documents[sha256(op("Worklist"))] == op("Worklist")
    assert len(documents) == len(list(OPERATIONS.glob("*.graphql")))


@pytest.mark.parametrize(
    "settings", [TEST_SETTINGS, PERSISTED_ONLY], ids=["open", "persisted_only"]
)
async def test_a_contract_operation_runs_by_hash_alone_over_post_and_cacheable_get(
    database, settings
):
    headers = await token_for(database)
    async with client(database, settings) as http:
        post = await http.post(
            "/graphql",
            json={"extensions": by_hash("Worklist"), "variables": {"first": 5}},
            headers=headers,
        )
        get = await http.get(
            "/graphql",
            params={"extensions": json.dumps(by_hash("Catalogue"))},
            headers={**headers, "Accept": "*/*"},
        )
        full = await http.post(
            "/graphql",
            json={"query": op("Worklist"), "extensions": by_hash("Worklist")},
            headers=headers,
        )
    assert post.status_code == 200 and post.json()["data"]["workOrders"]["edges"] == []
    assert get.status_code == 200 and get.json()["data"]["catalogue"]["channels"]
    assert full.status_code == 200 and "errors" not in full.json()


async def test_an_unknown_hash_and_a_hash_that_is_not_the_query_are_refused(database):
    headers = {**(await token_for(database)), "Accept": "application/graphql-response+json"}
    unknown = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
    async with client(database) as http:
        missing = await http.post("/graphql", json={"extensions": unknown}, headers=headers)
        mismatch = await http.post(
            "/graphql",
            json={"query": "{ __typename }", "extensions": by_hash("Worklist")},
            headers=headers,
        )
    assert (
        missing.status_code == 400
        and missing.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    )
    assert missing.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert (
        mismatch.status_code == 400
        and mismatch.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    )


async def test_persisted_only_runs_the_contract_documents_and_refuses_anything_else(database):
    headers = await token_for(database)
    async with client(database, PERSISTED_ONLY) as http:
        contract = await http.post("/graphql", json={"query": op("Catalogue")}, headers=headers)
        ad_hoc = await http.post("/graphql", json={"query": "{ me { roles } }"}, headers=headers)
        edited = await http.post("/graphql", json={"query": op("Catalogue") + " "}, headers=headers)
    assert contract.status_code == 200 and "errors" not in contract.json()
    for refused in (ad_hoc, edited):
        assert refused.json()["data"] is None
        error = refused.json()["errors"][0]
        assert error["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED" and error[
            "message"
        ].endswith("(limit: persisted_only)")


async def test_persisted_only_is_decided_per_tenant_by_limits_for(database, monkeypatch):
    strict, lax = await make_world(database), await make_world(database)
    monkeypatch.setattr(
        "complaintdesk.middleware.authenticate.limits_for",
        lambda tenant, settings: Limits(persisted_only=tenant.tenant_id == strict.tenant_id),
    )
    answers = {}
    async with client(database) as http:
        for name, world in (("strict", strict), ("lax", lax)):
            token = mint(TEST_SETTINGS, Claims(str(world.users["se"]), world.tenant_id, False))
            answers[name] = await http.post(
                "/graphql",
                json={"query": "{ me { roles } }"},
                headers={"Authorization": f"Bearer {token}"},
            )
    assert answers["strict"].json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
    assert answers["lax"].json()["data"]["me"]["roles"]
