"""Composition root: the Starlette application, its resources and the GraphQL endpoint.

Outside in: Portal (the brand portal's pages at /, complaintdesk/portal.py) > Cors (preflights,
browser origins) > Authenticate (token, tenant's origins and limits, request body size) > Starlette
routes > the GraphQL view (schema/view.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp

from complaintdesk import exports, heap
from complaintdesk.middleware.authenticate import Authenticate
from complaintdesk.middleware.cors import Cors
from complaintdesk.middleware.origins import tenant_origins
from complaintdesk.observability import CountResponses, Probes, json_logs
from complaintdesk.portal import PORTAL_DIST, Portal
from schema.persisted import PersistedOperations
from schema.view import GraphQLView
from server import settings as settings_module
from server.adapters.events import Bus, bus_for
from server.adapters.rate_limits import limiter_for
from server.db.session import Database
from server.services.portals import RegisteredOrigins
from server.services.tenancy import TenantRuntime
from server.settings import Settings


async def healthz(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_app(
    settings: Settings | None = None,
    database: Database | None = None,
    *,
    events: Bus | None = None,
    portal: Path = PORTAL_DIST,
) -> ASGIApp:
    """The app on `database`. Without one, the app makes it from the settings, on the bus `events`
    (the deployment's, from REDIS_URL, unless the caller shares its own), and disposes of it at
    shutdown. `portal`: the built portal it serves at /."""
    if settings is None:  # the deployment's factory (uvicorn --factory): its logs are JSON
        settings = settings_module.load()
        json_logs(settings)
    owns_database = database is None
    if database is None:
        database = Database(
            settings.database_url,
            events=events or bus_for(settings.redis_url, settings.events_namespace),
        )
    live = database.events
    limiter = limiter_for(settings.rate_limits, settings.redis_url, settings.queue_namespace)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        heap.settle()  # here, not in create_app: only a serving process lives long enough to gain
        yield
        await live.close()
        await limiter.close()
        await probes.close()
        if owns_database:
            await database.dispose()

    def origins(tenant: TenantRuntime) -> frozenset[str]:
        return tenant_origins(tenant, settings)

    view = GraphQLView(PersistedOperations.load(), database, settings, origins)
    probes = Probes(database, settings)
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", probes.readyz),
            Route("/metrics", probes.metrics),
            Route("/graphql", view),
            Route("/exports/{name:path}", exports.download),
            WebSocketRoute("/graphql", view),
        ],
        lifespan=lifespan,
    )
    portals = RegisteredOrigins(database)
    authenticated = Authenticate(app, database, settings, origins, limiter=limiter)
    api = Cors(authenticated, settings.cors_origins, portals.any_tenant)
    return CountResponses(Portal(api, database, settings, portal))
