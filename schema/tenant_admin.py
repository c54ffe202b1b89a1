"""Tenant administration in GraphQL: read the tenant's profile, and import a new version of it
(validated whole: every error comes back at once, and a profile with errors changes nothing)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from schema.context import Info
from schema.errors import NotPermitted, ValidationError, answer
from server.services import profile_admin


@strawberry.type(description="The tenant's profile: the documents that configure it.")
class TenantProfile:
    name: str = strawberry.field(description="Profile name, e.g. skoda.")
    version: str = strawberry.field(
        description="Profile version; every order keeps the version it was registered under."
    )
    documents: JSON = strawberry.field(
        description="The documents by file name (profile.yaml, workflow.yaml, ...), as JSON."
    )


TenantProfileResult = Annotated[
    TenantProfile | NotPermitted,
    strawberry.union(
        "TenantProfileResult", description="The profile in force, or the permission you lack."
    ),
]
ImportProfileResult = Annotated[
    TenantProfile | ValidationError | NotPermitted,
    strawberry.union(
        "ImportProfileResult",
        description="The profile now in force, or every error found (nothing changed).",
    ),
]


@strawberry.type
class TenantAdminQuery:
    @strawberry.field(
        description="The tenant's profile documents: needs tenant.profile at the brand root."
    )
    async def tenant_profile(self, info: Info) -> TenantProfileResult:
        async def run() -> TenantProfile:
            profile = profile_admin.read_profile(info.context.caller)
            documents = dict(profile.documents)
            return TenantProfile(name=profile.name, version=profile.version, documents=documents)

        return await answer(run, NotPermitted)


@strawberry.type
class TenantAdminMutation:
    @strawberry.mutation(
        description=(
            "Import a new version of the tenant's profile: needs tenant.profile at the brand root."
        )
    )
    async def import_profile(
        self,
        info: Info,
        documents: Annotated[
            JSON,
            strawberry.argument(
                description="The documents by file name, each the parsed YAML as JSON."
            ),
        ],
    ) -> ImportProfileResult:
        async def run() -> TenantProfile:
            profile = await profile_admin.import_profile(info.context.caller, documents)
            imported = dict(profile.documents)
            return TenantProfile(name=profile.name, version=profile.version, documents=imported)

        return await answer(run, ValidationError, NotPermitted)
