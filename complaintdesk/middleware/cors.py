"""CORS: browsers may call only from registered portal origins, with GET and POST and the headers
in HEADERS; nothing else is allowed. No credentials mode: the API takes bearer tokens, never
cookies. Requests without Origin (not from a browser) and same-origin ones (the GraphiQL page) pass
untouched; the tenant's own list is checked by Authenticate (authenticate.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from complaintdesk.middleware.origins import cross_origin
from complaintdesk.middleware.responses import refused_origin, with_headers
from server.profiles.validators import Origin
from server.settings import ConfigurationError

METHODS = ("GET", "POST")
HEADERS = ("authorization", "content-type", "accept", "x-request-id")

AnyTenantOrigins = Callable[[], Awaitable[frozenset[str]]]


class Cors:
    def __init__(self, app: ASGIApp, deployment: Iterable[str], portals: AnyTenantOrigins):
        """`deployment`: the origins of every tenant (CORS_ORIGINS), each checked here so that a
        typo stops the start instead of refusing every browser; `portals`: every tenant's own
        (a preflight carries no token, so no tenant)."""
        self.app = app
        self.deployment = frozenset(_checked(origin) for origin in deployment)
        self.portals = portals

    async def registered(self) -> frozenset[str]:
        return await self.portals() | self.deployment

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = cross_origin(scope)
        if origin is None:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if scope["method"] == "OPTIONS" and headers.get("access-control-request-method"):
            await _preflight(headers, origin, await self.registered())(scope, receive, send)
        elif origin not in await self.registered():
            await refused_origin(origin)(scope, receive, send)
        else:
            await self.app(scope, receive, with_headers(send, _allow_origin(origin)))


def _checked(origin: str) -> str:
    try:
        TypeAdapter(Origin).validate_python(origin)
    except ValidationError as exc:
        problem = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise ConfigurationError(f"CORS_ORIGINS: {problem}") from exc
    return origin


def _preflight(headers: Headers, origin: str, registered: frozenset[str]) -> Response:
    method = headers.get("access-control-request-method") or ""
    listed = (headers.get("access-control-request-headers") or "").split(",")
    asked = {h.strip().lower() for h in listed} - {""}
    if origin not in registered or method not in METHODS or not asked <= set(HEADERS):
        return Response(status_code=403, headers={"Vary": "Origin"})
    allowed = {
        **_allow_origin(origin),
        "Access-Control-Allow-Methods": ", ".join(METHODS),
        "Access-Control-Allow-Headers": ", ".join(HEADERS),
        "Access-Control-Max-Age": "600",
    }
    return Response(status_code=204, headers=allowed)


def _allow_origin(origin: str) -> dict[str, str]:
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Expose-Headers": "X-Request-ID",
        "Vary": "Origin",
    }
