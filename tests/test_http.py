"""The HTTP edge: bearer tokens, 401s without data, /healthz, GraphiQL, and masked internal
errors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from conftest import TEST_SETTINGS
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from support import make_world, op

from complaintdesk.app import create_app
from server.security.auth import Claims, mint


def hs256_by_hand(payload: dict, secret: str) -> str:
    """An HMAC token keyed with the public key (PyJWT refuses to make one: the
    algorithm-confusion attack)."""

    def part(data: dict) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=")

    signing_input = part({"alg": "HS256", "typ": "JWT"}) + b"." + part(payload)
    signature = base64.urlsafe_b64encode(
        hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    ).rstrip(b"=")
    return (signing_input + b"." + signature).decode()


QUERY = {"query": op("Worklist"), "variables": {"first": 5}}


def client(database, settings=TEST_SETTINGS) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(settings, database))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_a_valid_token_reads_and_the_tenant_comes_from_it(database):
    world = await make_world(database)
    token = mint(TEST_SETTINGS, Claims(str(world.users["se"]), world.tenant_id, False))
    async with client(database) as http:
        response = await http.post(
            "/graphql", json=QUERY, headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["workOrders"]["edges"] == []
    assert response.headers["x-request-id"]


@pytest.mark.parametrize(
    "problem", ["missing", "garbage", "forged", "expired", "unknown user", "other tenant's user"]
)
async def test_without_a_valid_token_only_healthz_answers(database, problem):
    world, other = await make_world(database), await make_world(database)
    se = str(world.users["se"])
    tokens = {
        "missing": None,
        "garbage": "not.a.token",
        "forged": mint(
            replace(TEST_SETTINGS, jwt_signing_key="another-secret-of-the-same-good-length!!"),
            Claims(se, world.tenant_id, False),
        ),
        "expired": mint(TEST_SETTINGS, Claims(se, world.tenant_id, False), timedelta(seconds=-5)),
        "unknown user": mint(TEST_SETTINGS, Claims("999999999", world.tenant_id, False)),
        "other tenant's user": mint(
            TEST_SETTINGS, Claims(str(other.users["se"]), world.tenant_id, False)
        ),
    }
    headers = {"Authorization": f"Bearer {tokens[problem]}"} if tokens[problem] else {}
    async with client(database) as http:
        response = await http.post("/graphql", json=QUERY, headers=headers)
        health = await http.get("/healthz")
    assert response.status_code == 401
    assert "data" not in response.json()
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert health.status_code == 200 and health.json() == {"status": "ok"}


async def test_graphiql_page_is_served_without_a_token_but_holds_no_data(database):
    async with client(database) as http:
        page = await http.get("/graphql", headers={"Accept": "text/html"})
        query = await http.get(
            "/graphql", params={"query": "{ me { roles } }"}, headers={"Accept": "text/html"}
        )
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    assert query.status_code == 401


async def test_production_verifies_es256_tokens_with_the_public_key_only(database):
    world = await make_world(database)
    key = ec.generate_private_key(ec.SECP256R1())
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    settings = replace(
        TEST_SETTINGS, jwt_algorithm="ES256", jwt_verify_key=public, jwt_signing_key=None
    )
    issuer = replace(settings, jwt_signing_key=private)
    good = mint(issuer, Claims(str(world.users["se"]), world.tenant_id, False))
    hs = hs256_by_hand(
        {
            "sub": str(world.users["se"]),
            "tid": world.tenant_id,
            "iss": "complaintdesk",
            "exp": 2**40,
        },
        public,
    )
    async with client(database, settings) as http:
        ok = await http.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {good}"})
        confused = await http.post(
            "/graphql", json=QUERY, headers={"Authorization": f"Bearer {hs}"}
        )
    assert ok.status_code == 200 and "errors" not in ok.json()
    assert confused.status_code == 401  # the public key is never accepted as an HMAC secret


async def test_an_unexpected_error_is_logged_with_the_request_id_and_answered_without_internals(
    database, monkeypatch, caplog
):
    world = await make_world(database)
    token = mint(TEST_SETTINGS, Claims(str(world.users["se"]), world.tenant_id, False))

    async def broken(*_args, **_kwargs):
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr("server.services.queries.order_page", broken)
    async with client(database) as http:
        response = await http.post(
            "/graphql",
            json=QUERY,
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "req-42"},
        )
    body = response.json()
    assert "hunter2" not in response.text
    assert body["errors"][0]["message"] == "Internal error; quote request id req-42 to support."
    assert "req-42" in caplog.text and "hunter2" in caplog.text


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


MALFORMED_CLAIMS = ["tenant true", "tenant too big", "full-width subject", "subject too big"]


@pytest.mark.parametrize("problem", MALFORMED_CLAIMS)
async def test_a_signed_token_with_a_malformed_claim_is_401_saying_which(database, problem):
    world = await make_world(database)
    se = str(world.users["se"])
    claims = {
        "tenant true": (Claims(se, True, False), "exactly one tenant"),
        "tenant too big": (Claims(se, 2**40, False), "exactly one tenant"),
        "full-width subject": (Claims(se.translate(FULL_WIDTH), world.tenant_id, False), "user id"),
        "subject too big": (Claims(str(2**40), world.tenant_id, False), "not a user id"),
    }
    token, words = mint(TEST_SETTINGS, claims[problem][0]), claims[problem][1]
    async with client(database) as http:
        bearer = {"Authorization": f"Bearer {token}"}
        response = await http.post("/graphql", json=QUERY, headers=bearer)
    assert response.status_code == 401 and "data" not in response.json()
    assert words in response.json()["errors"][0]["message"]


async def test_the_401_message_says_each_thing_once(database):
    async with client(database) as http:
        response = await http.post("/graphql", json=QUERY)
    message = response.json()["errors"][0]["message"]
    assert message.count("Bearer <token>") == 1 and message.startswith("Unauthorized: ")
