"""GraphQL over HTTP (the graphql-over-http spec, audited by graphql-http in the test suite).

On top of strawberry's view:
- `Accept: application/graphql-response+json` is answered in that media type, and a request that
  never reached execution (unparsable, invalid, over a limit, variables that do not coerce,
  refused as not persisted) gets a 4xx status and no `data` entry. With `application/json` (the
  legacy media type) such a request is answered 200 with `"data": null`, as the spec asks.
- GET runs queries only (cacheable); a mutation over GET is refused with 405 and `Allow: POST`.
- A persisted operation may be sent by hash alone (schema/persisted.py).
- Each request runs within its limits' timeout.
- Subscriptions speak graphql-transport-ws only, and obey the tenant's persisted-operations rule;
  one sent over HTTP is a request error.
- A body that is not a JSON object (a string, null, invalid UTF-8, nesting too deep to parse) is
  refused with 400.
HTTP-level refusals are JSON `{"errors": [...]}` bodies too.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import GraphQLError, parse
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, process_result
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType
from strawberry.utils.operation import get_operation_type

from schema.limits import refusal, request_limits
from schema.persisted import PersistedOperations
from schema.rate_limits import retry_after

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


def wants_graphql_response(accept: str | None) -> bool:
    """The spec's media type when the client lists it at all (q-values are not weighed)."""
    return GRAPHQL_RESPONSE in (accept or "")


def never_executed(result: ExecutionResult) -> bool:
    """A request error: refused before execution (PreExecutionError), or by graphql-core's variable
    coercion, which answers data None with errors that have no path (field errors always have
    one)."""
    if isinstance(result, PreExecutionError):
        return True
    return (
        result.data is None and bool(result.errors) and all(e.path is None for e in result.errors)
    )


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps({"errors": [{"message": message}]}), status, headers, media_type=JSON
    )


class MethodNotAllowed(HTTPException):
    def __init__(self, reason: str, allow: str):
        super().__init__(405, reason)
        self.allow = allow


class TransportWSHandler(BaseGraphQLTransportWSHandler[Any, None]):
    """graphql-transport-ws, with each operation checked against the persisted operations first."""

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.connection_acknowledged:  # before that the protocol itself refuses (4401)
            payload = message["payload"]
            persisted_only = request_limits(self.context).persisted_only
            try:
                payload["query"] = self.view.operations.resolve(
                    payload.get("query"), payload.get("extensions"), persisted_only
                )
            except GraphQLError as error:
                await self.send_message(
                    {"id": message["id"], "type": "error", "payload": [error.formatted]}
                )
                return
        await super().handle_subscribe(message)

    async def run_operation(self, operation: Any) -> None:
        try:
            await super().run_operation(operation)
        finally:
            # A query over the socket leaves its read session open, and the socket may stay for
            # hours: hand the connection back when each operation ends.
            await self.context.caller.db.close()


class GraphQLHTTPView(GraphQL[Any, None]):
    """Strawberry's ASGI view with the status codes and media types of the graphql-over-http
    spec."""

    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self, schema: Any, operations: PersistedOperations):
        super().__init__(
            schema,
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            # a portal screen needs a few; a leak should not grow unbounded
            max_subscriptions_per_connection=20,
        )
        self.operations = operations

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope, receive))
        except MethodNotAllowed as exc:
            response = error_response(405, exc.reason, {"Allow": exc.allow})
        except HTTPException as exc:
            allow = {"Allow": "GET, POST"} if exc.status_code == 405 else None
            response = error_response(exc.status_code, exc.reason, allow)
        await response(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        """The request body: a JSON object (or a list, which strawberry refuses as a batch)."""
        try:
            body = json.loads(data)
        except (ValueError, RecursionError) as exc:  # ValueError covers bad JSON and bad UTF-8
            reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            raise HTTPException(400, f"the request body is not JSON in UTF-8: {reason}") from exc
        if not isinstance(body, dict | list):
            raise HTTPException(400, "the request body must be a JSON object with a `query`")
        return body

    def should_render_graphql_ide(self, request: Any) -> bool:
        # The IDE page is served by complaintdesk/middleware/authenticate.py; a GET without a query
        # may be persisted.
        return False

    async def get_sub_response(self, request: Request) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = (
            GRAPHQL_RESPONSE if wants_graphql_response(request.headers.get("accept")) else JSON
        )
        return sub_response

    async def execute_single(
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Response,
        context: Any,
        root_value: Any,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        limits = request_limits(context)
        try:
            request_data.query = self.operations.resolve(
                request_data.query, request_data.extensions, limits.persisted_only
            )
            if _subscription(request_data.query, request_data.operation_name, limits.tokens):
                raise GraphQLError("subscriptions are served over WebSocket (graphql-transport-ws)")
            async with asyncio.timeout(limits.timeout_seconds):
                result = await super().execute_single(
                    request, request_adapter, sub_response, context, root_value, request_data
                )
        except GraphQLError as error:
            result = PreExecutionError(data=None, errors=[error])
        except TimeoutError:
            result = PreExecutionError(data=None, errors=[_timed_out(limits.timeout_seconds)])
            sub_response.status_code = 504
        except HTTPException as exc:
            raise _refine(exc, request_adapter.method) from exc.__cause__
        wait = retry_after(result.errors)
        if wait is not None:
            sub_response.status_code = 429
            sub_response.headers["Retry-After"] = str(wait)
        if (
            sub_response.media_type == GRAPHQL_RESPONSE
            and never_executed(result)
            and not sub_response.status_code
        ):
            sub_response.status_code = 400
        return result

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = process_result(result)
        if never_executed(result) and wants_graphql_response(request.headers.get("accept")):
            response.pop("data", None)  # "no data entry" is how the spec tells a request error
        return response

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        # orjson: the stdlib encoder took ~6 % of a worklist request's CPU (bench/README.md). Only
        # here: it returns bytes, which strawberry's WebSocket path would send as binary frames.
        body = orjson.dumps(response_data)
        response = Response(
            body, sub_response.status_code or 200, media_type=sub_response.media_type
        )
        response.headers.raw.extend(sub_response.headers.raw)
        return response


def _timed_out(seconds: float) -> GraphQLError:
    return refusal(
        f"the request took longer than the limit of {seconds} s and was stopped", "timeout_seconds"
    )


def _subscription(query: str | None, operation_name: str | None, tokens: int) -> bool:
    """Whether the operation asked for is a subscription; strawberry would run it as a query."""
    if not query or "subscription" not in query:
        return False  # the usual request is not parsed twice
    try:
        document = parse(query, max_tokens=tokens or None)
        return get_operation_type(document, operation_name) == OperationType.SUBSCRIPTION
    except (GraphQLError, RuntimeError):
        return False  # unparsable, or no such operation: execution answers that


def _refine(exc: HTTPException, method: str) -> HTTPException:
    """A mutation sent over GET is a method problem (405), not a malformed request (strawberry's
    400)."""
    if method == "GET" and isinstance(exc.__cause__, InvalidOperationTypeError):
        return MethodNotAllowed("mutations are sent with POST; GET runs queries only", "POST")
    return exc
