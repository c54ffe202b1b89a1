"""portal.yaml: the tenant's brand portals: the browser origins its API calls may come from, and
its own API limits."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import Field

from server.profiles.document import Document, DocumentKind
from server.profiles.validators import Origin


class _PortalLimits(Document):
    """The tenant's own API limits; each may only tighten the deployment's (schema/limits.py)."""

    depth: Annotated[int, Field(ge=1)] | None = None
    aliases: Annotated[int, Field(ge=0)] | None = None
    tokens: Annotated[int, Field(ge=100)] | None = None
    page_size: Annotated[int, Field(ge=1, le=100)] | None = None
    cost: Annotated[int, Field(ge=1)] | None = None
    body_bytes: Annotated[int, Field(ge=1000)] | None = None
    timeout_seconds: Annotated[float, Field(gt=0)] | None = None
    persisted_only: bool | None = None
    introspection: bool | None = None


class PortalDoc(Document):
    origins: list[Origin] = Field(default_factory=list)
    limits: _PortalLimits = _PortalLimits()


def build(doc: PortalDoc) -> Mapping[str, Any]:
    return {
        "portal_origins": frozenset(doc.origins),
        "limit_overrides": MappingProxyType(doc.limits.model_dump(exclude_none=True)),
    }


KIND = DocumentKind("portal.yaml", PortalDoc, build, required=False)
