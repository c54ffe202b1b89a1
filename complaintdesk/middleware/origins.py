"""Browser origins: which one a request comes from, and which ones a tenant allows."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import Scope

from server.services.tenancy import TenantRuntime
from server.settings import Settings


def tenant_origins(tenant: TenantRuntime, settings: Settings) -> frozenset[str]:
    """The origins a tenant's pages may call the API from: its portals (portal.yaml) and the
    deployment's own (CORS_ORIGINS)."""
    return tenant.profile.portal_origins | frozenset(settings.cors_origins)


def cross_origin(scope: Scope) -> str | None:
    """The Origin of a browser request from another origin; None for same-origin and non-browser
    ones."""
    if scope["type"] != "http":
        return None
    headers = Headers(scope=scope)
    origin = headers.get("origin")
    if origin is None or urlsplit(origin).netloc == headers.get("host"):
        return None
    return origin.rstrip("/")
