"""What the middleware answers with or adds: refusals as GraphQL-shaped JSON error bodies, and
headers added to the app's responses."""

from __future__ import annotations

import json

from graphql import GraphQLError
from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import Message, Send

from schema.limits import refusal


def errors(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps({"errors": [{"message": message}]})
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def refused_origin(origin: str) -> Response:
    message = f"Forbidden: {origin} is not a registered portal origin of this service."
    return errors(403, message, {"Vary": "Origin"})


def unauthorized(reason: str, request_id: str) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="complaintdesk"', "X-Request-ID": request_id}
    return errors(401, f"Unauthorized: {reason}. Send Authorization: Bearer <token>.", headers)


def too_large(limit: int) -> Response:
    error = refusal(f"the request body exceeds the limit of {limit} bytes", "body_bytes")
    body = json.dumps({"errors": [error.formatted]})
    return Response(body, status_code=413, media_type="application/json")


def too_many(error: GraphQLError, request_id: str) -> Response:
    """429 with Retry-After and the RATE_LIMITED error (schema/rate_limits.py)."""
    wait = str((error.extensions or {})["retryAfter"])
    body = json.dumps({"errors": [error.formatted]})
    headers = {"Retry-After": wait, "X-Request-ID": request_id}
    return Response(body, status_code=429, media_type="application/json", headers=headers)


def with_headers(send: Send, headers: dict[str, str]) -> Send:
    """`send`, adding `headers` to the response's start (to a copy of its list: a Response sends
    its own list, which must stay as it is)."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message.setdefault("headers", [])
            added = MutableHeaders(scope=message)
            for name, value in headers.items():
                added.append(name, value)
        await send(message)

    return wrapped
