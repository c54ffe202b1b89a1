"""The GraphQL endpoint the app mounts on /graphql: each request's context from what the
middleware resolved, and each WebSocket authenticated from its connection_init."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET, UnsetType

from schema.app import schema
from schema.compiled import CompiledOperations
from schema.context import Context, SocketContext
from schema.http import GraphQLHTTPView
from schema.limits import limits_for
from schema.persisted import PersistedOperations
from server.db.session import Database
from server.security.auth import InvalidTokenError
from server.services.authentication import authenticate
from server.services.caller import UnknownPrincipalError
from server.services.tenancy import TenantRuntime
from server.settings import Settings

# The browser origins a tenant's pages may call the API from.
Origins = Callable[[TenantRuntime], frozenset[str]]


class GraphQLView(GraphQLHTTPView):
    def __init__(
        self,
        operations: PersistedOperations,
        database: Database,
        settings: Settings,
        origins: Origins,
    ):
        super().__init__(schema, operations)
        self.database = database
        self.settings = settings
        self.origins = origins
        dialect = database.engine.dialect.name
        self.compiled = CompiledOperations.build(schema._schema, operations, dialect)

    async def get_context(self, request: Any, response: Any) -> Context:
        state = request.scope["state"]
        if request.scope["type"] == "websocket":
            request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
            origin = request.headers.get("origin")
            foreign = origin and urlsplit(origin).netloc != request.headers.get("host")
            cross = origin.rstrip("/") if foreign else None
            return SocketContext(request_id, request.headers.get("authorization"), cross)
        return Context(
            tenant_caller=state["caller"],
            request_id=state["request_id"],
            limits=state["limits"],
            platform=state.get("platform"),
            rate=state.get("rate"),
            compiled=self.compiled,
        )

    def is_websocket_origin_allowed(self, request: Any, origin: str) -> bool:
        """Strawberry would refuse every other origin at the handshake. The tenant, and so its
        origins, is known only at connection_init: on_ws_connect checks there. Nothing runs
        before."""
        return True

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Authenticates the connection from connection_init (refused: close code 4403)."""
        assert isinstance(context, SocketContext)
        try:
            caller, claims = await authenticate(self.database, self.settings, context.authorization)
        except (InvalidTokenError, UnknownPrincipalError) as exc:
            hint = 'Send {"Authorization": "Bearer <token>"} in connection_init.'
            raise ConnectionRejectionError({"message": f"Unauthorized: {exc}. {hint}"}) from exc
        # A socket lives for hours: each operation on it reads on a fresh session.
        await caller.db.close()
        cross = context.cross_origin
        if cross is not None and cross not in self.origins(caller.tenant):
            message = f"Forbidden: {cross} is not a registered portal origin of this service."
            raise ConnectionRejectionError({"message": message})
        context.authenticate(caller, limits_for(caller.tenant, self.settings), claims.expires_at)
        return UNSET
