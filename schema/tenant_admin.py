"""Tenant administration in GraphQL: read the tenant's profile, and import a new version of it
(validated whole: every error comes back at once, and a profile with errors changes nothing)."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from server.domain.errors import DomainError, NotPermittedError
from server.profiles import ProfileInvalidError
from server.services import profile_admin
from schema.context import Info
from schema.errors import FieldError, NotPermitted, ValidationError, to_error


@strawberry.type(description="The tenant's profile: the documents that configure it.")
class TenantProfile:
    name: str = strawberry.field(description="Profile name, e.g. skoda.")
    version: str = strawberry.field(description="Profile version; every order keeps the version it was registered under.")
    documents: JSON = strawberry.field(description="The documents by file name (profile.yaml, workflow.yaml, ...), as JSON.")


TenantProfileResult = Annotated[
    TenantProfile | NotPermitted,
    strawberry.union(
        "TenantProfileResult", description="The profile in force, or the permission you lack."
    ),
]
ImportProfileResult = Annotated[
    TenantProfile | ValidationError | NotPermitted,
    strawberry.union("ImportProfileResult", description="The profile now in force, or every error found (nothing changed)."),
]


def _profile_errors(exc: ProfileInvalidError) -> ValidationError:
    """Each problem's field path is its document, then its path in the document if it has one."""
    fields = [
        FieldError(path=[part for part in (p.document, p.path) if part], message=p.message)
        for p in exc.problems
    ]
    return ValidationError(message=f"The profile was refused with {len(fields)} errors; nothing changed.", fields=fields)


@strawberry.type
class TenantAdminQuery:
    @strawberry.field(
        description="The tenant's profile documents: needs tenant.profile at the brand root."
    )
    def tenant_profile(self, info: Info) -> TenantProfileResult:
        try:
            profile = profile_admin.read_profile(info.context.caller)
        except NotPermittedError as exc:
            refused: Any = to_error(exc)  # a NotPermitted, typed as the Error interface
            return refused
        return TenantProfile(name=profile.name, version=profile.version, documents=dict(profile.documents))


@strawberry.type
class TenantAdminMutation:
    @strawberry.mutation(description="Import a new version of the tenant's profile: needs tenant.profile at the brand root.")
    async def import_profile(
        self,
        info: Info,
        documents: Annotated[JSON, strawberry.argument(description="The documents by file name, each the parsed YAML as JSON.")],
    ) -> ImportProfileResult:
        caller = info.context.caller
        try:
            profile = await profile_admin.import_profile(caller, documents)
        except ProfileInvalidError as exc:
            return _profile_errors(exc)
        except DomainError as exc:
            return to_error(exc)  # type: ignore[return-value]
        return TenantProfile(name=profile.name, version=profile.version, documents=dict(profile.documents))
