"""Composition root: the Starlette application, its resources and the GraphQL endpoint.

Outside in: Cors (preflights, browser origins) > Authenticate (token, tenant's origins and limits,
request body size) > Starlette routes > the GraphQL view (schema/http.py).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.ides import get_graphql_ide_html
from strawberry.types.unset import UNSET, UnsetType

from schema.app import schema
from schema.context import Context, SocketContext
from schema.http import GraphQLHTTPView
from schema.limits import limits_for, refusal
from schema.persisted import PersistedOperations
from complaintdesk import heap
from server.adapters import events
from server import settings as settings_module
from server.security.auth import Claims, InvalidTokenError, bearer, verify
from server.db.session import Database
from server.services.caller import Caller, UnknownPrincipalError, tenant_caller
from server.services.portals import RegisteredOrigins
from server.services.tenancy import TenantRuntime
from server.settings import Settings

log = logging.getLogger("complaintdesk")
IDE_PAGE = get_graphql_ide_html(graphql_ide="graphiql")
CORS_METHODS = ("GET", "POST")
CORS_HEADERS = ("authorization", "content-type", "accept", "x-request-id")

Origins = Callable[[TenantRuntime], frozenset[str]]
AnyTenantOrigins = Callable[[], Awaitable[frozenset[str]]]


def tenant_origins(tenant: TenantRuntime, settings: Settings) -> frozenset[str]:
    """The origins a tenant's pages may call the API from: its portals (portal.yaml) and the
    deployment's own (CORS_ORIGINS)."""
    return tenant.profile.portal_origins | frozenset(settings.cors_origins)


async def authenticate(database: Database, settings: Settings, authorization: str | None) -> tuple[Caller, Claims]:
    """The caller a bearer token names: the one way HTTP requests and WebSockets authenticate."""
    claims = verify(settings, bearer(authorization))
    if claims.platform:
        raise InvalidTokenError("platform tokens do not open a tenant's API")
    return await tenant_caller(database, claims), claims


class GraphQLView(GraphQLHTTPView):
    def __init__(self, operations: PersistedOperations, database: Database, settings: Settings, origins: Origins):
        super().__init__(schema, operations)
        self.database = database
        self.settings = settings
        self.origins = origins

    async def get_context(self, request: Any, response: Any) -> Context:
        state = request.scope["state"]
        if request.scope["type"] == "websocket":
            request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
            origin = request.headers.get("origin")
            cross = origin.rstrip("/") if origin and urlsplit(origin).netloc != request.headers.get("host") else None
            return SocketContext(request_id, request.headers.get("authorization"), cross)
        return Context(caller=state["caller"], request_id=state["request_id"], limits=state["limits"])

    def is_websocket_origin_allowed(self, request: Any, origin: str) -> bool:
        """Strawberry would refuse every other origin at the handshake. The tenant, and so its
        origins, is known only at connection_init: on_ws_connect checks there. Nothing runs before."""
        return True

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Authenticates the connection from connection_init (refused: close code 4403)."""
        assert isinstance(context, SocketContext)
        try:
            caller, claims = await authenticate(self.database, self.settings, context.authorization)
        except (InvalidTokenError, UnknownPrincipalError) as exc:
            raise ConnectionRejectionError({"message": f"Unauthorized: {exc}. Send {{\"Authorization\": \"Bearer <token>\"}} in connection_init."}) from exc
        await caller.db.close()  # a socket lives for hours: each operation on it reads on a fresh session
        if context.cross_origin is not None and context.cross_origin not in self.origins(caller.tenant):
            raise ConnectionRejectionError({"message": f"Forbidden: {context.cross_origin} is not a registered portal origin of this service."})
        context.authenticate(caller, limits_for(caller.tenant, self.settings), claims.expires_at)
        return UNSET


class Cors:
    """Pure ASGI CORS: browsers may call only from registered portal origins, with GET and POST and
    the headers in CORS_HEADERS; nothing else is allowed. No credentials mode: the API takes bearer
    tokens, never cookies. Requests without Origin (not from a browser) and same-origin ones (the
    GraphiQL page) pass untouched; the tenant's own list is checked by Authenticate.
    """

    def __init__(self, app: ASGIApp, registered: AnyTenantOrigins):
        self.app = app
        self.registered = registered  # every tenant's: a preflight carries no token, so no tenant

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = _cross_origin(scope)
        if origin is None:
            await self.app(scope, receive, send)
        elif scope["method"] == "OPTIONS" and _header(scope, b"access-control-request-method"):
            await self._preflight(scope, origin, await self.registered())(scope, receive, send)
        elif origin not in await self.registered():
            await _refused_origin(origin)(scope, receive, send)
        else:
            await self.app(scope, receive, _with_headers(send, _allow_origin(origin)))

    def _preflight(self, scope: Scope, origin: str, registered: frozenset[str]) -> Response:
        method = _header(scope, b"access-control-request-method") or ""
        asked = {h.strip().lower() for h in (_header(scope, b"access-control-request-headers") or "").split(",")} - {""}
        if origin not in registered or method not in CORS_METHODS or not asked <= set(CORS_HEADERS):
            return Response(status_code=403, headers={"Vary": "Origin"})
        headers = {
            **_allow_origin(origin),
            "Access-Control-Allow-Methods": ", ".join(CORS_METHODS),
            "Access-Control-Allow-Headers": ", ".join(CORS_HEADERS),
            "Access-Control-Max-Age": "600",
        }
        return Response(status_code=204, headers=headers)


class Authenticate:
    """Pure ASGI: resolves the bearer token to a caller before GraphQL sees the request, then
    applies the caller's tenant policy: its browser origins, its limits, the request body size.

    Only /healthz and the GraphiQL page (static HTML, no data: paste a demo token into its
    headers) answer without a token. WebSockets pass through: browsers cannot send the header
    there, so the view authenticates them from connection_init (GraphQLView.on_ws_connect).
    """

    def __init__(self, app: ASGIApp, database: Database, settings: Settings, origins: Origins):
        self.app = app
        self.database = database
        self.settings = settings
        self.origins = origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/healthz":
            await self.app(scope, receive, send)
            return
        if _ide_page(scope):
            await HTMLResponse(IDE_PAGE)(scope, receive, send)
            return
        request_id = _header(scope, b"x-request-id") or uuid.uuid4().hex
        try:
            caller = await self._caller(scope)
        except (InvalidTokenError, UnknownPrincipalError) as exc:
            await _unauthorized(str(exc), request_id)(scope, receive, send)
            return
        try:
            await self._serve(scope, receive, _with_headers(send, {"X-Request-ID": request_id}), caller, request_id)
        finally:
            await caller.db.close()

    async def _serve(self, scope: Scope, receive: Receive, send: Send, caller: Caller, request_id: str) -> None:
        origin = _cross_origin(scope)
        if origin is not None and origin not in self.origins(caller.tenant):
            await _refused_origin(origin)(scope, receive, send)
            return
        limits = limits_for(caller.tenant, self.settings)
        body = await _read_body(scope, receive, limits.body_bytes)
        if body is None:
            await _too_large(limits.body_bytes)(scope, receive, send)
            return
        receive = _replay(body, receive)
        scope.setdefault("state", {}).update(caller=caller, request_id=request_id, limits=limits)
        await self.app(scope, receive, send)

    async def _caller(self, scope: Scope) -> Caller:
        caller, _claims = await authenticate(self.database, self.settings, _header(scope, b"authorization"))
        return caller


def _header(scope: Scope, name: bytes) -> str | None:
    return next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == name), None)


def _cross_origin(scope: Scope) -> str | None:
    """The Origin of a browser request from another origin; None for same-origin and non-browser ones."""
    origin = _header(scope, b"origin")
    if scope["type"] != "http" or origin is None or urlsplit(origin).netloc == _header(scope, b"host"):
        return None
    return origin.rstrip("/")


def _allow_origin(origin: str) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": "X-Request-ID", "Vary": "Origin"}


def _refused_origin(origin: str) -> Response:
    body = {"errors": [{"message": f"Forbidden: {origin} is not a registered portal origin of this service."}]}
    return Response(json.dumps(body), status_code=403, media_type="application/json", headers={"Vary": "Origin"})


async def _read_body(scope: Scope, receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None once it is bigger than `limit` (before reading any of it
    when Content-Length says so). GraphQL bodies are small: buffering them is fine."""
    declared = _header(scope, b"content-length")
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


def _too_large(limit: int) -> Response:
    error = refusal(f"the request body exceeds the limit of {limit} bytes", "body_bytes")
    return Response(json.dumps({"errors": [error.formatted]}), status_code=413, media_type="application/json")


def _replay(body: bytes, receive: Receive) -> Receive:
    """Hands the buffered body to the app, then passes on what comes next (the disconnect)."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


def _ide_page(scope: Scope) -> bool:
    return (
        scope["type"] == "http"
        and scope["method"] == "GET"
        and "text/html" in (_header(scope, b"accept") or "")
        and not scope.get("query_string")
    )


def _unauthorized(reason: str, request_id: str) -> Response:
    body = {"errors": [{"message": f"Unauthorized: {reason}. Send Authorization: Bearer <token>."}]}
    return Response(
        json.dumps(body),
        status_code=401,
        media_type="application/json",
        headers={"WWW-Authenticate": 'Bearer realm="complaintdesk"', "X-Request-ID": request_id},
    )


def _with_headers(send: Send, headers: dict[str, str]) -> Send:
    raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]

    async def wrapped(message: Any) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", ()), *raw]  # a copy: never the response's own list
        await send(message)

    return wrapped


async def healthz(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings | None = None, database: Database | None = None) -> ASGIApp:
    settings = settings or settings_module.load()
    owns_database = database is None
    database = database or Database(settings.database_url)

    bus = events.configure(settings.redis_url)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        heap.settle()  # here, not in create_app: only a serving process lives long enough to gain
        yield
        await bus.close()
        if owns_database:
            await database.dispose()

    origins: Origins = lambda tenant: tenant_origins(tenant, settings)  # noqa: E731
    portals = RegisteredOrigins(database)

    async def registered() -> frozenset[str]:
        return await portals.any_tenant() | frozenset(settings.cors_origins)

    view = GraphQLView(PersistedOperations.load(), database, settings, origins)
    app = Starlette(
        routes=[Route("/healthz", healthz), Route("/graphql", view), WebSocketRoute("/graphql", view)],
        lifespan=lifespan,
    )
    return Cors(Authenticate(app, database, settings, origins), registered)
