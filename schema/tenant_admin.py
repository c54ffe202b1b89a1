"""Tenant administration in GraphQL: read the tenant's profile, and import a new version of it
(validated whole: every error comes back at once, and a profile with errors changes nothing)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from schema.context import Info
from schema.errors import NotPermitted, ValidationError, answer
from schema.ids import encode
from server.services import profile_admin, profile_migration


@strawberry.type(description="The tenant's profile: the documents that configure it.")
class TenantProfile:
    name: str = strawberry.field(description="Profile name (profile.yaml `name`).")
    version: str = strawberry.field(
        description="Profile version; every order keeps the version it was registered under."
    )
    documents: JSON = strawberry.field(
        description="The documents by file name (profile.yaml, workflow.yaml, ...), as JSON."
    )


@strawberry.type(description="One document of an exported profile, as a YAML file.")
class ProfileFile:
    name: str = strawberry.field(description="The file name, e.g. workflow.yaml.")
    text: str = strawberry.field(description="The document as YAML text.")


@strawberry.type(
    description=(
        "The profile in force, exported: `documents` re-imported with importProfile (or the files"
        " read back from a folder) give the same configuration."
    )
)
class ProfileExport:
    name: str = strawberry.field(description="Profile name (profile.yaml `name`).")
    version: str = strawberry.field(description="The version in force.")
    documents: JSON = strawberry.field(description="The documents by file name, as JSON.")
    files: list[ProfileFile] = strawberry.field(description="The documents as YAML files.")


@strawberry.type(description="One order moved to the profile version in force.")
class OrderMigration:
    order_id: strawberry.ID = strawberry.field(description="The order's global id.")
    number: str = strawberry.field(description="The order's number.")
    from_version: str = strawberry.field(description="The version it was run by until now.")
    changes: list[str] = strawberry.field(
        description="What changes: renamed state, grade or category, and new clock targets."
    )


@strawberry.type(description="What migrateOrders changed, or (a dry run) would change.")
class OrderMigrationReport:
    to_version: str = strawberry.field(description="The version in force, the orders now run by.")
    applied: bool = strawberry.field(description="False: a dry run, nothing changed.")
    orders: list[OrderMigration] = strawberry.field(
        description="Every open order on an earlier version, with what changes for it."
    )


ExportProfileResult = Annotated[
    ProfileExport | NotPermitted,
    strawberry.union(
        "ExportProfileResult", description="The exported profile, or the permission you lack."
    ),
]
MigrateOrdersResult = Annotated[
    OrderMigrationReport | ValidationError | NotPermitted,
    strawberry.union(
        "MigrateOrdersResult",
        description=(
            "What moved (or would), or the orders whose codes the version in force drops without"
            " a mapping (nothing changed)."
        ),
    ),
]
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

    @strawberry.field(
        description="Export the profile in force: needs tenant.profile at the brand root."
    )
    async def export_profile(self, info: Info) -> ExportProfileResult:
        async def run() -> ProfileExport:
            profile, texts = profile_admin.export_profile(info.context.caller)
            return ProfileExport(
                name=profile.name,
                version=profile.version,
                documents=dict(profile.documents),
                files=[ProfileFile(name=name, text=text) for name, text in texts.items()],
            )

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
        mapping: Annotated[
            JSON | None,
            strawberry.argument(
                description=(
                    "For codes the new version drops that open orders use:"
                    ' {"states"|"grades"|"categories": {old: new}}.'
                )
            ),
        ] = None,
    ) -> ImportProfileResult:
        async def run() -> TenantProfile:
            caller = info.context.caller
            profile = await profile_admin.import_profile(caller, documents, mapping)
            imported = dict(profile.documents)
            return TenantProfile(name=profile.name, version=profile.version, documents=imported)

        return await answer(run, ValidationError, NotPermitted)

    @strawberry.mutation(
        description=(
            "Move open orders registered under earlier profile versions to the one in force:"
            " needs tenant.profile at the brand root. `apply: false` is a dry run."
        )
    )
    async def migrate_orders(
        self,
        info: Info,
        apply: Annotated[
            bool,
            strawberry.argument(description="False: a dry run, reporting and changing nothing."),
        ],
    ) -> MigrateOrdersResult:
        async def run() -> OrderMigrationReport:
            report = await profile_migration.migrate_orders(info.context.caller, apply=apply)
            return OrderMigrationReport(
                to_version=report.to_version,
                applied=report.applied,
                orders=[
                    OrderMigration(
                        order_id=encode("WorkOrder", moved.order_id),
                        number=moved.number,
                        from_version=moved.from_version,
                        changes=moved.changes,
                    )
                    for moved in report.orders
                ],
            )

        return await answer(run, ValidationError, NotPermitted)
