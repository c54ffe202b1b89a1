"""The caller a bearer token names: the one way HTTP requests and WebSockets authenticate."""

from __future__ import annotations

from server.db.session import Database
from server.security.auth import Claims, InvalidTokenError, bearer, verify
from server.services.caller import Caller, tenant_caller
from server.services.platform import PlatformCaller
from server.settings import Settings


async def authenticate(
    database: Database, settings: Settings, authorization: str | None
) -> tuple[Caller, Claims]:
    """Raises InvalidTokenError for a missing, forged, expired or platform token, and
    UnknownPrincipalError for a genuine one naming no active user."""
    claims = verify(settings, bearer(authorization))
    if claims.platform:
        raise InvalidTokenError("platform tokens do not open a tenant's API")
    return await tenant_caller(database, claims), claims


async def authenticate_request(
    database: Database, settings: Settings, authorization: str | None
) -> tuple[Caller | PlatformCaller, Claims]:
    """`authenticate` for an HTTP request, where a platform token names the platform admin (its
    fields: tenants, onboardTenant, deactivateTenant). Subscriptions stay tenant-only."""
    claims = verify(settings, bearer(authorization))
    if claims.platform:
        return PlatformCaller(claims.subject, database), claims
    return await tenant_caller(database, claims), claims
