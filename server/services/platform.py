"""The platform admin: outside every tenant, holding platform.tenants (onboarding, listing and
deactivating tenants) and nothing inside one. Its token comes from
`complaintdesk token --platform`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from server.db.session import Database
from server.domain.errors import NotPermittedError
from server.services.caller import utcnow

PERMISSION = "platform.tenants"


@dataclass(frozen=True)
class PlatformCaller:
    name: str
    database: Database
    clock: Callable[[], datetime] = field(default=utcnow)

    @property
    def actor(self) -> str:
        """How the audit history names the platform admin."""
        return f"platform:{self.name}"


def require(platform: PlatformCaller | None) -> PlatformCaller:
    """The platform admin, or NotPermitted for a tenant's caller."""
    if platform is None:
        raise NotPermittedError(PERMISSION)
    return platform
