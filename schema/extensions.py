"""Schema extensions: unexpected errors are logged with the request id and answered without
internals; unmasked customer reads are appended to the access log."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

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
