"""The escalation desk's queries in GraphQL: the cross-dealer escalations list that SEs and RBOs
work from, and the intake's look-ups before registering (the grade the rules propose, possible
duplicates)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.utils.str_converters import to_camel_case

from schema import cursors, prefetch
from schema.context import Info
from schema.errors import ValidationError, answer
from schema.ids import key
from schema.parties import Label
from schema.queries import Cursor, PageSize
from schema.types import PageInfo, SlipState, WarningSlip, WorkOrder
from server.domain.errors import InvalidInputError
from server.domain.identifiers import normalise_phone, normalise_vin
from server.services import escalation_board, intake, queries
from server.services.caller import Caller
from server.services.compiled_escalations import EscalationPage
from server.services.compiled_reads import Answer


@strawberry.type(description="The grade the grading rules propose, and why.")
class GradeProposal:
    grade: str | None = strawberry.field(
        description="The proposed grade; null for ungraded (consultation) categories."
    )
    reasons: list[Label] = strawberry.field(
        description="The reason of each rule behind it; empty when the category's default applies."
    )


GradeProposalResult = Annotated[
    GradeProposal | ValidationError,
    strawberry.union(
        "GradeProposalResult", description="The proposal, or the codes the profile does not know."
    ),
]


@strawberry.type(description="An escalated order with its open slips.")
class Escalation:
    order: WorkOrder = strawberry.field(description="The order.")

    @strawberry.field(description="Its upgrade-warning slips.")
    async def slips(self, info: Info) -> list[WarningSlip]:
        return [
            WarningSlip(row=r, ctx=info.context)
            for r in await info.context.loaders.slips_by_order.load(self.order.row.id)
        ]


@strawberry.type(description="A page of escalations.")
class EscalationConnection:
    nodes: list[Escalation] = strawberry.field(description="The escalated orders of this page.")
    page_info: PageInfo = strawberry.field(description="Where the page ends.")


@strawberry.enum(description="How escalations are ordered.")
class EscalationSort(Enum):
    AGE = "age"
    BREACH = "breach"


@strawberry.input(description="Filters on the escalations list; all given filters must hold.")
class EscalationFilter:
    org_unit_id: strawberry.ID | None = strawberry.field(
        default=None, description="A region or dealer: orders at or below it."
    )
    categories: list[str] | None = strawberry.field(
        default=None, description="Any of these categories."
    )
    tiers: list[str] | None = strawberry.field(
        default=None, description="Any of these tiers (e.g. RBO, SALES_SE)."
    )
    grades: list[str] | None = strawberry.field(default=None, description="Any of these grades.")
    slip_states: list[SlipState] | None = strawberry.field(
        default=None, description="Orders with a slip in any of these states."
    )
    older_than_hours: int | None = strawberry.field(
        default=None, description="Registered at least this many hours ago."
    )


EscalationsResult = Annotated[
    EscalationConnection | ValidationError,
    strawberry.union(
        "EscalationsResult", description="A page of escalations, or why the arguments were refused."
    ),
]


def _cursor(sort: EscalationSort, last: Any) -> str:
    if sort is EscalationSort.BREACH:
        return cursors.encode("breach", last.id, cursors.micros(last.next_deadline_at))
    return cursors.encode("age", last.id)


def _position(
    sort: EscalationSort, after: str | None
) -> escalation_board.EscalationPosition | None:
    found = cursors.decode(sort.value, after, keys=1 if sort is EscalationSort.BREACH else 0)
    if found is None:
        return None
    last_id, keys = found
    return escalation_board.EscalationPosition(last_id, cursors.instant(keys[0]) if keys else None)


def _where(
    sent: EscalationFilter | None, sort: EscalationSort
) -> escalation_board.EscalationFilter:
    f = sent or EscalationFilter()
    return escalation_board.EscalationFilter(
        org_unit_id=key("OrgUnit", f.org_unit_id) if f.org_unit_id is not None else None,
        categories=f.categories,
        tiers=f.tiers,
        grades=f.grades,
        slip_states=[s.value for s in f.slip_states] if f.slip_states else None,
        older_than_hours=f.older_than_hours,
        sort=sort.value,
    )


# The filter's fields by their GraphQL names, as coerced variables name them.
_FILTER = {
    to_camel_case(f.python_name): f.python_name
    for f in EscalationFilter.__strawberry_definition__.fields  # type: ignore[attr-defined]
}


async def compiled(page: EscalationPage, caller: Caller, args: Mapping[str, Any]) -> Answer | None:
    """The compiled `escalations` (schema/compiled.py) for the coerced arguments, read as the
    resolver reads them; None where the interpreted path must answer."""
    sort, first = args.get("sort", EscalationSort.AGE), args.get("first", 20)
    if not isinstance(sort, EscalationSort) or not isinstance(first, int):
        return None  # an explicit null: graphql-core refuses it
    try:
        position = _position(sort, args.get("after"))
    except InvalidInputError:
        return None
    sent = args.get("filter")
    f = EscalationFilter(**{_FILTER[k]: v for k, v in sent.items()}) if sent is not None else None
    return await page.run(caller, _where(f, sort), first, position)


@strawberry.type
class EscalationQuery:
    @strawberry.field(
        description=(
            "Escalated orders and open warning slips across every dealer you may see (SE: "
            "the brand; RBO: the region)."
        )
    )
    async def escalations(
        self,
        info: Info,
        filter: Annotated[
            EscalationFilter | None,
            strawberry.argument(description="Only escalations matching all of it."),
        ] = None,
        sort: Annotated[
            EscalationSort,
            strawberry.argument(description="AGE: oldest first; BREACH: most overdue first."),
        ] = EscalationSort.AGE,
        first: PageSize = 20,
        after: Cursor = None,
    ) -> EscalationsResult:
        where = _where(filter, sort)

        async def run() -> EscalationConnection:
            caller = info.context.caller
            page = await escalation_board.list_escalations(
                caller, where, first, _position(sort, after)
            )
            await prefetch.orders(info, page.orders, "nodes", "order")
            nodes = [Escalation(order=WorkOrder(row=o, ctx=info.context)) for o in page.orders]
            cursor = _cursor(sort, page.orders[-1]) if page.orders else None
            page_info = PageInfo(has_next_page=page.has_next, end_cursor=cursor)
            return EscalationConnection(nodes=nodes, page_info=page_info)

        return await answer(run, ValidationError)

    @strawberry.field(
        description=(
            "The grade the profile's rules propose for an intake, with the reasons, "
            "before registering."
        )
    )
    async def grade_proposal(
        self,
        info: Info,
        category: Annotated[str, strawberry.argument(description="Category code of the intake.")],
        flags: Annotated[
            list[str] | None, strawberry.argument(description="Flag codes raised so far.")
        ] = None,
        demands: Annotated[
            list[str] | None, strawberry.argument(description="Demand codes raised so far.")
        ] = None,
    ) -> GradeProposalResult:

        async def run() -> GradeProposal:
            caller = info.context.caller
            proposal = intake.propose_grade(caller, category, flags or [], demands or [])
            reasons = [Label.of(r) for r in proposal.reasons]
            return GradeProposal(grade=proposal.grade, reasons=reasons)

        return await answer(run, ValidationError)

    @strawberry.field(
        description=(
            "Open or recent orders of a customer (any of the phones) or vehicle, "
            "before registering a complaint."
        )
    )
    async def possible_duplicates(
        self,
        info: Info,
        phones: Annotated[
            list[str],
            strawberry.argument(description="The caller's phone numbers, in any usual format."),
        ],
        vin: Annotated[
            str | None, strawberry.argument(description="The vehicle's VIN, when known.")
        ] = None,
    ) -> list[WorkOrder]:
        numbers = []
        for phone in phones:
            try:
                numbers.append(normalise_phone(phone))
            except ValueError:
                continue
        try:  # stored VINs are valid ones: a VIN that is not matches nothing
            wanted = normalise_vin(vin) if vin else None
        except ValueError:
            wanted = None
        return [
            WorkOrder(row=o, ctx=info.context)
            for o in await queries.possible_duplicates(info.context.caller, numbers, wanted)
        ]
