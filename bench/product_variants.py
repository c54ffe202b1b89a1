"""The real application with one thing changed, to show what strawberry's caches (and the GC
settings, and the fair connection pool) are worth.

Each factory runs in its own uvicorn process, so it edits the product schema's extension list in
place and then builds the app with complaintdesk.app.create_app: everything else (middleware,
view, limits, persisted operations) is exactly the product's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.pool import AsyncAdaptedQueuePool
from starlette.types import ASGIApp
from strawberry.extensions import ParserCache, QueryDepthLimiter, ValidationCache

from complaintdesk import heap
from complaintdesk.app import create_app
from schema.app import schema
from server.db import session

CACHES = (ParserCache, ValidationCache)


def _is_cache(extension: Callable[[], Any] | type) -> bool:
    # Factories are lambdas: only the instance they make tells what they are.
    return isinstance(extension(), CACHES)


def uncached() -> ASGIApp:
    """Every request parses and validates the document again."""
    schema.extensions = tuple(e for e in schema.extensions if not _is_cache(e))
    return create_app()


def per_request_rules() -> ASGIApp:
    """The trap: a limiter made per request builds a new validation-rule class each time, so the
    ValidationCache key (schema, document, rules) never repeats and every request validates
    again."""
    first_cache = next(i for i, e in enumerate(schema.extensions) if _is_cache(e))

    def limiter() -> QueryDepthLimiter:
        return QueryDepthLimiter(max_depth=20)

    schema.extensions = (
        *schema.extensions[:first_cache],
        limiter,
        *schema.extensions[first_cache:],
    )
    return create_app()


def gc_default() -> ASGIApp:
    """Not a cache: the product app without complaintdesk/heap.py's settings (no gc.freeze() of the
    start-up objects, the default young-generation threshold), as it was shipped before them."""
    heap.settle = lambda: None  # the lifespan looks it up when it runs
    return create_app()


def stock_pool() -> ASGIApp:
    """Not a cache: the product app on SQLAlchemy's own AsyncAdaptedQueuePool instead of
    server/db/fair_pool.py's, which serves waiting requests in the order they asked (issue 19)."""
    # create_engine looks the class up when the lifespan makes the engine
    session.FairPool = AsyncAdaptedQueuePool  # type: ignore[attr-defined, assignment]
    return create_app()
