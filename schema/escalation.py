"""Escalation in GraphQL: customer calls, upgrade-warning slips, tier moves and the cross-dealer
escalations list that SEs and RBOs work from."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from schema import cursors, prefetch
from schema.context import Info
from schema.errors import (
    Conflict,
    NotFound,
    NotPermitted,
    TransitionNotAllowed,
    ValidationError,
    answer,
)
from schema.ids import key
from schema.mutations import WorkOrderPayload, payload
from schema.queries import Cursor, PageSize
from schema.types import CustomerCall, Label, PageInfo, SlipState, User, WarningSlip, WorkOrder
from server.domain.identifiers import normalise_phone
from server.services import (
    absence,
    calls,
    escalation,
    escalation_board,
    intake,
    queries,
    regrading,
    slips,
)


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
        f = filter or EscalationFilter()
        where = escalation_board.EscalationFilter(
            org_unit_id=key("OrgUnit", f.org_unit_id) if f.org_unit_id is not None else None,
            categories=f.categories,
            tiers=f.tiers,
            grades=f.grades,
            slip_states=[s.value for s in f.slip_states] if f.slip_states else None,
            older_than_hours=f.older_than_hours,
            sort=sort.value,
        )

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
        return [
            WorkOrder(row=o, ctx=info.context)
            for o in await queries.possible_duplicates(
                info.context.caller, numbers, (vin or "").upper() or None
            )
        ]


ChangeResult = Annotated[
    WorkOrderPayload | ValidationError | NotPermitted | NotFound | Conflict | TransitionNotAllowed,
    strawberry.union(
        "EscalationChangeResult", description="The changed order, or why nothing changed."
    ),
]


@strawberry.type(description="The call as recorded, the slips it raised, and the order after it.")
class CustomerCallPayload:
    call: CustomerCall = strawberry.field(description="The call.")
    order: WorkOrder = strawberry.field(description="The order as it is now.")


CallResult = Annotated[
    CustomerCallPayload
    | ValidationError
    | NotPermitted
    | NotFound
    | Conflict
    | TransitionNotAllowed,
    strawberry.union(
        "RecordCustomerCallResult", description="The recorded call, or why nothing was written."
    ),
]


@strawberry.type(description="The slip after the change.")
class SlipPayload:
    slip: WarningSlip = strawberry.field(description="The slip as it is now.")


SlipResult = Annotated[
    SlipPayload | ValidationError | NotPermitted | NotFound | TransitionNotAllowed,
    strawberry.union("SlipChangeResult", description="The slip, or why nothing changed."),
]


@strawberry.type(description="The handler after the change.")
class AbsencePayload:
    user: User = strawberry.field(description="The handler.")
    absent: bool = strawberry.field(description="Whether they are absent now.")


AbsenceResult = Annotated[
    AbsencePayload | NotPermitted | NotFound,
    strawberry.union("SetAbsenceResult", description="The handler, or why nothing changed."),
]


@strawberry.input(description="The customer calls again about an open order.")
class RecordCustomerCallInput:
    id: strawberry.ID = strawberry.field(description="The order.")
    channel: str = strawberry.field(description="Channel code.")
    words: str = strawberry.field(description="What the customer said, in their own words.")
    flags: list[str] = strawberry.field(
        default_factory=list,
        description="Flags the call raises (e.g. nobody_contacted, claims_media).",
    )
    demands: list[str] = strawberry.field(
        default_factory=list, description="Demands the call adds (e.g. immediate_reply)."
    )
    expected_version: int | None = strawberry.field(
        default=None,
        description=(
            "Optional: a call only adds, so it applies to the current version unless you name one."
        ),
    )


@strawberry.input(description="Move an order up, or hand it back down, a tier.")
class TierMoveInput:
    id: strawberry.ID = strawberry.field(description="The order.")
    expected_version: int = strawberry.field(description="The version you read.")
    reason: str = strawberry.field(
        description="Why (escalation) or the instructions (hand-back); kept in the history."
    )


@strawberry.input(description="Change an order's grade.")
class RegradeInput:
    id: strawberry.ID = strawberry.field(description="The order.")
    expected_version: int = strawberry.field(description="The version you read.")
    grade: str = strawberry.field(description="The new grade code.")
    reason: str = strawberry.field(description="Why; kept in the history.")


@strawberry.input(description="The escalation department's result on a slip.")
class SlipResultInput:
    id: strawberry.ID = strawberry.field(description="The slip.")
    result: str = strawberry.field(description="The functional department's result.")
    handler_id: strawberry.ID = strawberry.field(description="Who handled it.")
    at: datetime | None = strawberry.field(default=None, description="When; defaults to now.")


@strawberry.type
class EscalationMutation:
    @strawberry.mutation(
        description=(
            "Record the customer calling again: needs workorder.call. "
            "Evaluates the upgrade-warning rules."
        )
    )
    async def record_customer_call(
        self,
        info: Info,
        input: Annotated[
            RecordCustomerCallInput, strawberry.argument(description="The order and the call.")
        ],
    ) -> CallResult:
        async def run() -> CustomerCallPayload:
            call, row = await calls.record_call(
                info.context.caller,
                key("WorkOrder", input.id),
                input.channel,
                input.words,
                input.flags,
                input.demands,
                input.expected_version,
            )
            return CustomerCallPayload(call=CustomerCall(row=call), order=payload(info, row).order)

        return await answer(
            run,
            ValidationError,
            NotPermitted,
            NotFound,
            Conflict,
            TransitionNotAllowed,
            sent_id=input.id,
        )

    @strawberry.mutation(
        description="Move the order to the next tier of its category: needs workorder.escalate."
    )
    async def escalate_work_order(
        self,
        info: Info,
        input: Annotated[
            TierMoveInput, strawberry.argument(description="The order and why it goes up.")
        ],
    ) -> ChangeResult:
        async def run() -> WorkOrderPayload:
            order, version = key("WorkOrder", input.id), input.expected_version
            row = await escalation.escalate(info.context.caller, order, input.reason, version)
            return payload(info, row)

        return await answer(
            run,
            ValidationError,
            NotPermitted,
            NotFound,
            Conflict,
            TransitionNotAllowed,
            sent_id=input.id,
        )

    @strawberry.mutation(
        description=(
            "Hand the order back to the tier below with instructions: needs workorder.return."
        )
    )
    async def return_work_order(
        self,
        info: Info,
        input: Annotated[
            TierMoveInput, strawberry.argument(description="The order and the instructions.")
        ],
    ) -> ChangeResult:
        async def run() -> WorkOrderPayload:
            order, version = key("WorkOrder", input.id), input.expected_version
            row = await escalation.hand_back(info.context.caller, order, input.reason, version)
            return payload(info, row)

        return await answer(
            run,
            ValidationError,
            NotPermitted,
            NotFound,
            Conflict,
            TransitionNotAllowed,
            sent_id=input.id,
        )

    @strawberry.mutation(
        description=(
            "Change the grade: needs workorder.regrade. "
            "The clocks take the new grade's targets, keeping time used."
        )
    )
    async def regrade_work_order(
        self,
        info: Info,
        input: Annotated[
            RegradeInput, strawberry.argument(description="The order, the grade and why.")
        ],
    ) -> ChangeResult:
        async def run() -> WorkOrderPayload:
            order, version = key("WorkOrder", input.id), input.expected_version
            caller = info.context.caller
            row = await regrading.regrade(caller, order, input.grade, input.reason, version)
            return payload(info, row)

        return await answer(
            run,
            ValidationError,
            NotPermitted,
            NotFound,
            Conflict,
            TransitionNotAllowed,
            sent_id=input.id,
        )

    @strawberry.mutation(
        description=(
            "Mark a handler absent or back: needs workorder.assign where they work. "
            "Their orders' deputies are told to take over."
        )
    )
    async def set_absence(
        self,
        info: Info,
        user_id: Annotated[strawberry.ID, strawberry.argument(description="The handler.")],
        absent: Annotated[bool, strawberry.argument(description="True: absent; false: back.")],
    ) -> AbsenceResult:
        async def run() -> AbsencePayload:
            handler = key("User", user_id)
            user = await absence.set_absent(info.context.caller, handler, absent)
            return AbsencePayload(user=User(row=user), absent=user.absent)

        return await answer(run, NotPermitted, NotFound, sent_id=user_id)

    @strawberry.mutation(
        description=(
            "Acknowledge an upgrade-warning slip: needs slip.acknowledge; "
            "stops its acknowledgement clock."
        )
    )
    async def acknowledge_slip(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The slip.")]
    ) -> SlipResult:
        async def run() -> SlipPayload:
            slip = await slips.acknowledge(info.context.caller, key("WarningSlip", id))
            info.context.loaders.forget()
            return SlipPayload(slip=WarningSlip(row=slip, ctx=info.context))

        return await answer(
            run, ValidationError, NotPermitted, NotFound, TransitionNotAllowed, sent_id=id
        )

    @strawberry.mutation(
        description="Record the escalation department's result on a slip: needs slip.acknowledge."
    )
    async def record_slip_result(
        self,
        info: Info,
        input: Annotated[
            SlipResultInput, strawberry.argument(description="The slip and its result.")
        ],
    ) -> SlipResult:
        async def run() -> SlipPayload:
            slip_key, handler = key("WarningSlip", input.id), key("User", input.handler_id)
            caller = info.context.caller
            slip = await slips.record_result(caller, slip_key, input.result, handler, input.at)
            info.context.loaders.forget()
            return SlipPayload(slip=WarningSlip(row=slip, ctx=info.context))

        return await answer(
            run, ValidationError, NotPermitted, NotFound, TransitionNotAllowed, sent_id=input.id
        )
