"""The directory in GraphQL: the org tree and the people the caller may see (the dealer picker at
intake, the handler picker at assignment), and the tenant admin's changes to them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types.unset import UNSET

from schema import cursors
from schema.context import Info
from schema.errors import NotFound, NotPermitted, ValidationError, answer
from schema.ids import key
from schema.parties import OrgUnit, User
from schema.queries import Cursor, PageSize
from schema.types import PageInfo
from server.services import directory, people
from server.services.caller import Caller


@strawberry.type(description="A role held at an org unit, and so at everything below it.")
class Grant:
    role: str = strawberry.field(
        description="operator, care_specialist, manager, gm, rbo, se or tenant_admin."
    )
    org_unit: OrgUnit = strawberry.field(description="Where it is held.")


@strawberry.type(description="A person of the tenant with the roles they hold where you may see.")
class Member:
    user: User = strawberry.field(description="The person.")
    active: bool = strawberry.field(description="False once deactivated: their tokens are refused.")
    email: str | None = strawberry.field(description="Their e-mail address, if known.")
    grants: list[Grant] = strawberry.field(description="Their roles within your scope, by unit.")


@strawberry.type(description="A page of people, by id.")
class MemberConnection:
    nodes: list[Member] = strawberry.field(description="The people of this page.")
    page_info: PageInfo = strawberry.field(description="Where the page ends.")


@strawberry.type(description="A page of org units, in tree order (by path).")
class OrgUnitConnection:
    nodes: list[OrgUnit] = strawberry.field(description="The units of this page.")
    page_info: PageInfo = strawberry.field(description="Where the page ends.")


@strawberry.type(description="One change to the directory, as the audit history records it.")
class DirectoryEvent:
    at: datetime = strawberry.field(description="When.")
    actor: str = strawberry.field(description="Who: a username, or platform:<name>.")
    kind: str = strawberry.field(description="org_unit.added, role.granted, user.deactivated, ...")
    target: str = strawberry.field(description="The org path or the username acted on.")


@strawberry.type(description="The latest changes to the directory, newest first.")
class DirectoryHistory:
    events: list[DirectoryEvent] = strawberry.field(description="The changes.")


@strawberry.input(
    description="A unit's business time: a field left out stays, null inherits the unit above's."
)
class UnitHoursInput:
    timezone: str | None = strawberry.field(
        default=UNSET, description="An IANA timezone, e.g. Asia/Shanghai."
    )
    working_hours: list[str] | None = strawberry.field(
        default=UNSET,
        description='Working windows, e.g. ["09:00-12:00", "13:30-18:00"]: the gap is lunch.',
    )
    working_weekdays: list[int] | None = strawberry.field(
        default=UNSET, description="0 (Monday) to 6 (Sunday)."
    )


@strawberry.input(description="A new org unit under an existing one.")
class AddOrgUnitInput:
    parent_id: strawberry.ID = strawberry.field(description="The unit above it.")
    kind: str = strawberry.field(
        description="region, dealer or department (below the parent's kind)."
    )
    code: str = strawberry.field(
        description="2-40 lowercase letters, digits, hyphens; a dealer's unique in the tenant."
    )
    name: str = strawberry.field(description="Display name.")
    hours: UnitHoursInput | None = strawberry.field(
        default=None, description="Its own business time; left out: inherited."
    )


@strawberry.input(description="Changes to an org unit: what is left out stays as it is.")
class UpdateOrgUnitInput:
    id: strawberry.ID = strawberry.field(description="The unit.")
    name: str | None = strawberry.field(default=None, description="A new display name.")
    hours: UnitHoursInput | None = strawberry.field(default=None, description="Its business time.")


@strawberry.input(description="A role at an org unit.")
class GrantInput:
    role: str = strawberry.field(
        description="operator, care_specialist, manager, gm, rbo, se or tenant_admin."
    )
    org_unit_id: strawberry.ID = strawberry.field(description="Where: it holds there and below.")


@strawberry.input(description="A new person of the tenant.")
class AddUserInput:
    username: str = strawberry.field(
        description="Login name: 2-80 lowercase letters, digits and . _ @ -."
    )
    display_name: str = strawberry.field(description="Name shown to colleagues.")
    email: str | None = strawberry.field(default=None, description="E-mail address.")
    grants: list[GrantInput] = strawberry.field(default_factory=list, description="Their roles.")


@strawberry.input(description="A role to grant or revoke for a person.")
class RoleGrantInput:
    user_id: strawberry.ID = strawberry.field(description="The person.")
    role: str = strawberry.field(description="The role.")
    org_unit_id: strawberry.ID = strawberry.field(description="Where.")


@strawberry.input(description="A person to deactivate.")
class DeactivateUserInput:
    id: strawberry.ID = strawberry.field(description="The person.")


@strawberry.type(description="The org unit as it is now.")
class OrgUnitPayload:
    org_unit: OrgUnit = strawberry.field(description="The unit.")


@strawberry.type(description="The person as they are now.")
class MemberPayload:
    member: Member = strawberry.field(description="The person, with the grants you may see.")


OrgUnitsResult = Annotated[
    OrgUnitConnection | ValidationError,
    strawberry.union(
        "OrgUnitsResult", description="A page of units, or what is wrong with the filter."
    ),
]
UsersResult = Annotated[
    MemberConnection | ValidationError,
    strawberry.union(
        "UsersResult", description="A page of people, or what is wrong with the filter."
    ),
]
DirectoryHistoryResult = Annotated[
    DirectoryHistory | ValidationError | NotPermitted,
    strawberry.union("DirectoryHistoryResult", description="The latest changes, or why not."),
]
OrgUnitResult = Annotated[
    OrgUnitPayload | ValidationError | NotPermitted | NotFound,
    strawberry.union("OrgUnitResult", description="The unit, or why nothing changed."),
]
MemberResult = Annotated[
    MemberPayload | ValidationError | NotPermitted | NotFound,
    strawberry.union("MemberResult", description="The person, or why nothing changed."),
]


def _member(member: directory.Member) -> Member:
    return Member(
        user=User(row=member.user),
        active=member.user.active,
        email=member.user.email,
        grants=[Grant(role=g.role, org_unit=OrgUnit(row=g.unit)) for g in member.grants],
    )


def _hours(given: UnitHoursInput | None) -> dict[str, Any]:
    if given is None:
        return {}
    sent = {
        "timezone": given.timezone,
        "working_hours": given.working_hours,
        "working_weekdays": given.working_weekdays,
    }
    return {name: value for name, value in sent.items() if value is not UNSET}


@strawberry.type
class DirectoryQuery:
    @strawberry.field(
        description="Org units where you read orders, register or administer the tree, by path."
    )
    async def org_units(
        self,
        info: Info,
        kind: Annotated[
            str | None, strawberry.argument(description="Only units of this kind, e.g. dealer.")
        ] = None,
        under: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only this unit and those below it."),
        ] = None,
        first: PageSize = 100,
        after: Cursor = None,
    ) -> OrgUnitsResult:
        async def run() -> OrgUnitConnection:
            position = cursors.decode("orgUnits", after)
            page, has_next = directory.org_units(
                info.context.caller,
                first=first,
                after=position[0] if position else None,
                kind=kind,
                under=key("OrgUnit", under) if under is not None else None,
            )
            end = cursors.encode("orgUnits", page[-1].id) if page else None
            page_info = PageInfo(has_next_page=has_next, end_cursor=end)
            return OrgUnitConnection(nodes=[OrgUnit(row=u) for u in page], page_info=page_info)

        return await answer(run, ValidationError)

    @strawberry.field(
        description="People holding a role where you read orders or administer people, by id."
    )
    async def users(
        self,
        info: Info,
        role: Annotated[
            str | None, strawberry.argument(description="Only those holding this role.")
        ] = None,
        org_unit_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only those holding a role at this unit or below."),
        ] = None,
        include_inactive: Annotated[
            bool, strawberry.argument(description="Deactivated people too.")
        ] = False,
        first: PageSize = 20,
        after: Cursor = None,
    ) -> UsersResult:
        async def run() -> MemberConnection:
            position = cursors.decode("users", after)
            caller = info.context.caller
            page = await directory.users(
                caller,
                first=first,
                after=position[0] if position else None,
                role=role,
                under=key("OrgUnit", org_unit_id) if org_unit_id is not None else None,
                include_inactive=include_inactive,
            )
            nodes = [_member(m) for m in page.members]
            end = cursors.encode("users", page.members[-1].user.id) if page.members else None
            return MemberConnection(
                nodes=nodes, page_info=PageInfo(has_next_page=page.has_next, end_cursor=end)
            )

        return await answer(run, ValidationError)

    @strawberry.field(
        description="The latest changes to org units, people and grants: tenant.users at the root."
    )
    async def directory_history(self, info: Info, first: PageSize = 20) -> DirectoryHistoryResult:
        async def run() -> DirectoryHistory:
            events = await directory.history(info.context.caller, first)
            shown = [
                DirectoryEvent(at=e.at, actor=e.actor, kind=e.kind, target=e.target) for e in events
            ]
            return DirectoryHistory(events=shown)

        return await answer(run, ValidationError, NotPermitted)


@strawberry.type
class DirectoryMutation:
    @strawberry.mutation(description="Add an org unit: needs tenant.org at its parent.")
    async def add_org_unit(
        self,
        info: Info,
        input: Annotated[AddOrgUnitInput, strawberry.argument(description="The unit.")],
    ) -> OrgUnitResult:
        async def run() -> OrgUnitPayload:
            unit = await directory.add_org_unit(
                info.context.caller,
                key("OrgUnit", input.parent_id),
                input.kind,
                input.code,
                name=input.name,
                hours=_hours(input.hours),
            )
            return OrgUnitPayload(org_unit=OrgUnit(row=unit))

        return await answer(run, ValidationError, NotPermitted, NotFound, sent_id=input.parent_id)

    @strawberry.mutation(
        description="Rename an org unit or change its business time: needs tenant.org there."
    )
    async def update_org_unit(
        self,
        info: Info,
        input: Annotated[UpdateOrgUnitInput, strawberry.argument(description="The changes.")],
    ) -> OrgUnitResult:
        async def run() -> OrgUnitPayload:
            changes = _hours(input.hours) | ({"name": input.name} if input.name is not None else {})
            unit = await directory.update_org_unit(
                info.context.caller, key("OrgUnit", input.id), changes
            )
            return OrgUnitPayload(org_unit=OrgUnit(row=unit))

        return await answer(run, ValidationError, NotPermitted, NotFound, sent_id=input.id)

    @strawberry.mutation(
        description="Add a person with their roles: needs tenant.users where each is granted."
    )
    async def add_user(
        self,
        info: Info,
        input: Annotated[AddUserInput, strawberry.argument(description="The person.")],
    ) -> MemberResult:
        async def run() -> MemberPayload:
            caller = info.context.caller
            grants = [(g.role, key("OrgUnit", g.org_unit_id)) for g in input.grants]
            user = await people.add_user(
                caller, input.username, input.display_name, email=input.email, grants=grants
            )
            return await _payload(caller, user.id)

        return await answer(run, ValidationError, NotPermitted)

    @strawberry.mutation(
        description="Deactivate a person: their tokens are refused from now on; history stays."
    )
    async def deactivate_user(
        self,
        info: Info,
        input: Annotated[DeactivateUserInput, strawberry.argument(description="The person.")],
    ) -> MemberResult:
        async def run() -> MemberPayload:
            caller = info.context.caller
            user = await people.deactivate_user(caller, key("User", input.id))
            return await _payload(caller, user.id)

        return await answer(run, ValidationError, NotPermitted, NotFound, sent_id=input.id)

    @strawberry.mutation(
        description="Grant a role at a unit: needs tenant.users and a role at least as high there."
    )
    async def grant_role(
        self,
        info: Info,
        input: Annotated[RoleGrantInput, strawberry.argument(description="The grant.")],
    ) -> MemberResult:
        async def run() -> MemberPayload:
            caller = info.context.caller
            user = await people.grant_role(
                caller, key("User", input.user_id), input.role, key("OrgUnit", input.org_unit_id)
            )
            return await _payload(caller, user.id)

        return await answer(run, ValidationError, NotPermitted, NotFound, sent_id=input.user_id)

    @strawberry.mutation(description="Revoke a role held at a unit: needs what granting it needs.")
    async def revoke_role(
        self,
        info: Info,
        input: Annotated[RoleGrantInput, strawberry.argument(description="The grant.")],
    ) -> MemberResult:
        async def run() -> MemberPayload:
            caller = info.context.caller
            user = await people.revoke_role(
                caller, key("User", input.user_id), input.role, key("OrgUnit", input.org_unit_id)
            )
            return await _payload(caller, user.id)

        return await answer(run, ValidationError, NotPermitted, NotFound, sent_id=input.user_id)


async def _payload(caller: Caller, user_id: int) -> MemberPayload:
    member = await directory.member(caller, user_id)
    return MemberPayload(member=_member(member))
