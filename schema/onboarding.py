"""The platform admin's fields: onboard a tenant from a profile and two CSV files, list the
tenants with their counts, deactivate one. A tenant's token is answered NotPermitted here.

The CSV files travel as base64 strings in the JSON input (documented fields rather than the
multipart upload convention): a JSON string cannot carry a file's bytes, and the encoding of an
Excel export (a BOM, or GB18030) is read from its bytes, exactly as the command line reads the
file; a browser's FileReader.readAsDataURL gives the base64 directly."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from schema.context import Info
from schema.errors import NotFound, NotPermitted, ValidationError, answer
from schema.ids import encode, key
from server.domain.errors import FieldProblem, InvalidInputError
from server.services import onboarding


@strawberry.type(description="A tenant (an OEM brand), as the platform admin sees it.")
class TenantSummary:
    id: strawberry.ID = strawberry.field(description="Opaque global id.")
    slug: str = strawberry.field(description="Its short name, the root of its org paths.")
    name: str = strawberry.field(description="Display name.")
    profile_name: str = strawberry.field(description="The profile it was made from.")
    profile_version: str = strawberry.field(description="The profile version in force.")
    active: bool = strawberry.field(description="False once deactivated: its tokens are refused.")
    created_at: datetime = strawberry.field(description="When it was onboarded.")
    org_units: int = strawberry.field(description="Org units, the brand root included.")
    dealers: int = strawberry.field(description="Dealers.")
    users: int = strawberry.field(description="Active users.")
    work_orders: int = strawberry.field(description="Work orders.")

    @classmethod
    def of(cls, summary: onboarding.Summary) -> TenantSummary:
        t = summary.tenant
        return cls(
            id=encode("Tenant", t.id),
            slug=t.slug,
            name=t.name,
            profile_name=t.profile_name,
            profile_version=t.profile_version,
            active=t.active,
            created_at=t.created_at,
            org_units=summary.org_units,
            dealers=summary.dealers,
            users=summary.users,
            work_orders=summary.work_orders,
        )


@strawberry.type(description="Every tenant, oldest first (a platform holds tens, not thousands).")
class TenantList:
    nodes: list[TenantSummary] = strawberry.field(description="The tenants.")


@strawberry.type(description="The tenant as it is now.")
class TenantPayload:
    tenant: TenantSummary = strawberry.field(description="The tenant.")


@strawberry.input(
    description="A new tenant: a profile (its documents, or a bundled one's name) and two CSV"
    " files, base64-encoded (templates: policies/onboarding/)."
)
class OnboardTenantInput:
    slug: str = strawberry.field(description="2-40 lowercase letters, digits, hyphens; unique.")
    name: str = strawberry.field(description="Display name, e.g. 某某汽车.")
    profile_name: str | None = strawberry.field(
        default=None,
        description=(
            "A bundled profile (a folder of policies/profiles/); or give profileDocuments."
        ),
    )
    profile_documents: JSON | None = strawberry.field(
        default=None, description="The documents by file name, each the parsed YAML as JSON."
    )
    org_csv: str = strawberry.field(
        description="The org file (code, parent, kind, name, timezone, working_hours,"
        " working_weekdays), base64 of its bytes: UTF-8 with or without BOM, or GB18030."
    )
    users_csv: str = strawberry.field(
        description="The users file (login, name, email, role, org_unit; a row per grant),"
        " base64 of its bytes."
    )


@strawberry.input(description="The tenant to deactivate.")
class DeactivateTenantInput:
    id: strawberry.ID = strawberry.field(description="The tenant.")


TenantsResult = Annotated[
    TenantList | NotPermitted,
    strawberry.union("TenantsResult", description="Every tenant, or the permission you lack."),
]
OnboardTenantResult = Annotated[
    TenantPayload | ValidationError | NotPermitted,
    strawberry.union(
        "OnboardTenantResult",
        description="The new tenant, or every problem found (path: file, row, column); nothing"
        " was created.",
    ),
]
DeactivateTenantResult = Annotated[
    TenantPayload | NotFound | NotPermitted,
    strawberry.union("DeactivateTenantResult", description="The tenant, or why not."),
]


def _file(field: str, sent: str) -> bytes:
    try:
        return base64.b64decode(sent, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInputError(
            [FieldProblem((field,), "send the file's bytes in base64")]
        ) from None


@strawberry.type
class OnboardingQuery:
    @strawberry.field(description="Every tenant with its counts: the platform admin only.")
    async def tenants(self, info: Info) -> TenantsResult:
        async def run() -> TenantList:
            found = await onboarding.tenants(info.context.platform)
            return TenantList(nodes=[TenantSummary.of(s) for s in found])

        return await answer(run, NotPermitted)


@strawberry.type
class OnboardingMutation:
    @strawberry.mutation(
        description="Onboard an OEM: validated whole, then created in one transaction or not at"
        " all. The platform admin only."
    )
    async def onboard_tenant(
        self,
        info: Info,
        input: Annotated[OnboardTenantInput, strawberry.argument(description="The tenant.")],
    ) -> OnboardTenantResult:
        async def run() -> TenantPayload:
            platform = info.context.platform
            request = onboarding.Request(
                slug=input.slug,
                name=input.name,
                org_csv=_file("orgCsv", input.org_csv),
                users_csv=_file("usersCsv", input.users_csv),
                profile_documents=input.profile_documents,
                profile_name=input.profile_name,
            )
            return TenantPayload(
                tenant=TenantSummary.of(await onboarding.onboard(platform, request))
            )

        return await answer(run, ValidationError, NotPermitted)

    @strawberry.mutation(
        description="Deactivate a tenant: its tokens are refused from now on; its data stays."
    )
    async def deactivate_tenant(
        self,
        info: Info,
        input: Annotated[DeactivateTenantInput, strawberry.argument(description="Which.")],
    ) -> DeactivateTenantResult:
        async def run() -> TenantPayload:
            platform = info.context.platform
            summary = await onboarding.deactivate_tenant(platform, key("Tenant", input.id))
            return TenantPayload(tenant=TenantSummary.of(summary))

        return await answer(run, NotFound, NotPermitted, sent_id=input.id)
