"""Resolves the bearer token to a caller before GraphQL sees the request, then applies the
caller's tenant policy: its browser origins, its limits, the request body size.

Only /healthz, /readyz, /metrics and the GraphiQL page (static HTML, no data: paste a demo token
into its headers) answer without a token. WebSockets pass through: browsers cannot send the header
there, so the view authenticates them from connection_init (schema/view.py).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace

from starlette.datastructures import Headers
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.http.ides import get_graphql_ide_html

from complaintdesk.middleware.origins import cross_origin
from complaintdesk.middleware.responses import (
    refused_origin,
    too_large,
    too_many,
    unauthorized,
    with_headers,
)
from schema.limits import limits_for
from schema.rate_limits import RateKeys, rate_limited
from schema.view import Origins
from server.adapters import telemetry
from server.adapters.rate_limits import RateLimiter
from server.db.session import Database
from server.security.auth import InvalidTokenError
from server.services.authentication import authenticate_request
from server.services.caller import Caller, UnknownPrincipalError
from server.services.onboarding import PLATFORM_BODY_BYTES
from server.services.platform import PlatformCaller
from server.settings import Settings

IDE_PAGE = get_graphql_ide_html(graphql_ide="graphiql")


UNAUTHENTICATED = ("/healthz", "/readyz", "/metrics")  # they tell nothing of any tenant
FAILED_TOKEN_COST = 1000  # charged to the address per refused token: guessing is not free


class Authenticate:
    def __init__(
        self,
        app: ASGIApp,
        database: Database,
        settings: Settings,
        origins: Origins,
        *,
        limiter: RateLimiter,
    ):
        self.app = app
        self.database = database
        self.settings = settings
        self.origins = origins
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNAUTHENTICATED:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if _ide_page(scope, headers):
            await HTMLResponse(IDE_PAGE)(scope, receive, send)
            return
        request_id = headers.get("x-request-id") or uuid.uuid4().hex
        telemetry.bind(request_id=request_id)
        try:
            caller, _claims = await authenticate_request(
                self.database, self.settings, headers.get("authorization")
            )
        except (InvalidTokenError, UnknownPrincipalError) as exc:
            # Guessing tokens spends the address's allowance too, and a spent one answers 429.
            refused = await self.limiter.charge((("ip", _address(scope)),), FAILED_TOKEN_COST)
            if refused is not None:
                await too_many(rate_limited(refused), request_id)(scope, receive, send)
                return
            await unauthorized(str(exc), request_id)(scope, receive, send)
            return
        send = with_headers(send, {"X-Request-ID": request_id})
        if isinstance(caller, PlatformCaller):
            await self._serve_platform(scope, receive, send, caller=caller, request_id=request_id)
            return
        telemetry.bind(tenant=caller.principal.tenant_id)
        try:
            await self._serve(scope, receive, send, caller=caller, request_id=request_id)
        finally:
            await caller.db.close()

    async def _serve(
        self, scope: Scope, receive: Receive, send: Send, *, caller: Caller, request_id: str
    ) -> None:
        origin = cross_origin(scope)
        if origin is not None and origin not in self.origins(caller.tenant):
            await refused_origin(origin)(scope, receive, send)
            return
        limits = limits_for(caller.tenant, self.settings)
        body = await _read_body(scope, receive, limits.body_bytes)
        if body is None:
            await too_large(limits.body_bytes)(scope, receive, send)
            return
        receive = _replay(body, receive)
        rate = self._rate(scope)
        scope.setdefault("state", {}).update(
            caller=caller, request_id=request_id, limits=limits, rate=rate
        )
        await self.app(scope, receive, send)

    def _rate(self, scope: Scope) -> RateKeys:
        """The request's token (by digest: the count never holds the token) and address."""
        token = Headers(scope=scope).get("authorization", "")
        digest = hashlib.sha256(token.encode()).hexdigest()[:32]
        return RateKeys(self.limiter, (("token", digest), ("ip", _address(scope))))

    async def _serve_platform(
        self, scope: Scope, receive: Receive, send: Send, *, caller: PlatformCaller, request_id: str
    ) -> None:
        """The platform admin's requests: no tenant's portal may send them, and their body may
        carry an onboarding's two CSV files."""
        origin = cross_origin(scope)
        if origin is not None:
            await refused_origin(origin)(scope, receive, send)
            return
        limits = replace(self.settings.limits, body_bytes=PLATFORM_BODY_BYTES)
        body = await _read_body(scope, receive, limits.body_bytes)
        if body is None:
            await too_large(limits.body_bytes)(scope, receive, send)
            return
        state = {
            "caller": None,
            "platform": caller,
            "request_id": request_id,
            "limits": limits,
            "rate": self._rate(scope),
        }
        scope.setdefault("state", {}).update(state)
        await self.app(scope, _replay(body, receive), send)


def _address(scope: Scope) -> str:
    client = scope.get("client") or ("-", 0)
    return str(client[0])


def _ide_page(scope: Scope, headers: Headers) -> bool:
    return (
        scope["method"] == "GET"
        and "text/html" in (headers.get("accept") or "")
        and not scope.get("query_string")
    )


async def _read_body(scope: Scope, receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None once it is bigger than `limit` (before reading any of it
    when Content-Length says so). GraphQL bodies are small: buffering them is fine."""
    declared = Headers(scope=scope).get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    while True:
        message = await receive()
        body += message.get("body", b"")
        if len(body) > limit:
            return None
        if not message.get("more_body"):
            return bytes(body)


def _replay(body: bytes, receive: Receive) -> Receive:
    """Hands the buffered body to the app, then passes on what comes next (the disconnect)."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed
