"""Schema extensions: unexpected errors are logged with the request id and answered without
internals; unmasked customer reads are appended to the access log; each operation is counted and
timed."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterator

from graphql import DocumentNode, GraphQLError, get_operation_ast
from strawberry.extensions import SchemaExtension

from server.adapters import metrics, telemetry
from server.services import customer_access

log = logging.getLogger("complaintdesk.graphql")


class MaskUnexpectedErrors(SchemaExtension):
    """GraphQL's own errors (syntax, validation, coercion) pass; anything raised by our code is a
    bug."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors or not hasattr(result, "errors"):
            return
        request_id = getattr(self.execution_context.context, "request_id", "-")
        result.errors = [self._masked(error, request_id) for error in result.errors]

    @staticmethod
    def _masked(error: GraphQLError, request_id: str) -> GraphQLError:
        original = error.original_error
        if original is None or isinstance(original, GraphQLError):
            return error
        log.error("request %s: unexpected error at %s", request_id, error.path, exc_info=original)
        return GraphQLError(
            f"Internal error; quote request id {request_id} to support.",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "INTERNAL", "requestId": request_id},
        )


class RecordCustomerAccess(SchemaExtension):
    """Appends the unmasked customer reads the operation made to the access log, once it has
    resolved every field (the reads are noted by server/services/visibility.py)."""

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        caller = getattr(self.execution_context.context, "tenant_caller", None)
        if caller is not None and caller.revealed:
            await customer_access.record(caller)


REFUSALS = frozenset(
    {"ValidationError", "NotFound", "NotPermitted", "Conflict", "TransitionNotAllowed"}
)


class Observe(SchemaExtension):
    """Stamps the operation's name on its logs and counts it: rate, latency, errors by code."""

    def on_operation(self) -> Iterator[None]:
        ctx = self.execution_context
        telemetry.bind(operation=ctx.operation_name or "-")
        started = time.perf_counter()
        yield
        name = metrics.operation_label(ctx.operation_name or _named(ctx.graphql_document))
        kind = ctx.operation_type.value if ctx.graphql_document is not None else "unparsed"
        metrics.REQUESTS.labels(name, kind).inc()
        metrics.LATENCY.labels(name).observe(time.perf_counter() - started)
        result = ctx.result
        for error in getattr(result, "errors", None) or ():
            metrics.ERRORS.labels(str((error.extensions or {}).get("code", "GRAPHQL"))).inc()
        data = getattr(result, "data", None)
        for value in data.values() if isinstance(data, dict) else ():
            typename = value.get("__typename") if isinstance(value, dict) else None
            if typename in REFUSALS:
                metrics.ERRORS.labels(typename).inc()

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context  # parsed now: an operation sent without its name has one
        telemetry.bind(operation=ctx.operation_name or _named(ctx.graphql_document) or "-")
        yield


def _named(document: DocumentNode | None) -> str | None:
    operation = get_operation_ast(document) if document is not None else None
    return operation.name.value if operation is not None and operation.name else None
