"""Abuse limits in GraphQL: each operation, once validated, is charged its cost (the measure of
schema/limits.py, so a page of 100 weighs what it asks of the database) to the caller's token and
IP address; a spent window refuses it before it executes. The HTTP view answers 429 with
Retry-After (schema/http.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import FragmentDefinitionNode, GraphQLError, GraphQLSchema, get_operation_ast
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import PreExecutionError

from schema.limits import measure, request_limits
from server.adapters.rate_limits import RateLimiter, Refusal

CODE = "RATE_LIMITED"


@dataclass(frozen=True)
class RateKeys:
    """What a request is charged to: set by the HTTP edge (complaintdesk/middleware)."""

    limiter: RateLimiter
    keys: tuple[tuple[str, str], ...]  # ("token", digest), ("ip", address)


def rate_limited(refusal: Refusal) -> GraphQLError:
    return GraphQLError(
        f"too many requests from this {refusal.scope}; try again in {refusal.retry_after} s",
        extensions={"code": CODE, "scope": refusal.scope, "retryAfter": refusal.retry_after},
    )


def retry_after(errors: list[GraphQLError] | None) -> int | None:
    """The seconds to wait when the result is a rate-limit refusal; else None."""
    for error in errors or ():
        if (error.extensions or {}).get("code") == CODE:
            return int((error.extensions or {})["retryAfter"])
    return None


@lru_cache(maxsize=512)
def _cost(schema: GraphQLSchema, document: Any, operation_name: str | None, page: int) -> int:
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 1  # execution answers that there is no such operation
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return max(1, measure(schema, operation, fragments.get, page).cost)


class EnforceRateLimits(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        ctx = self.execution_context
        rate: RateKeys | None = getattr(ctx.context, "rate", None)
        if rate is not None and ctx.graphql_document is not None and ctx.result is None:
            page = request_limits(ctx.context).page_size
            # the parsed document comes from strawberry's ParserCache: one object per text
            cost = _cost(ctx.schema._schema, ctx.graphql_document, ctx.operation_name, page)
            refusal = await rate.limiter.charge(rate.keys, cost)
            if refusal is not None:
                ctx.result = PreExecutionError(data=None, errors=[rate_limited(refusal)])
        yield
