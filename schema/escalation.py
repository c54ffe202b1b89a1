"""Escalation in GraphQL: customer calls, upgrade-warning slips, tier moves, regrading and
handlers' absence (the escalations list SEs and RBOs work from: schema/escalation_board.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from schema.context import Info
from schema.errors import (
    Conflict,
    NotFound,
    NotPermitted,
    TransitionNotAllowed,
    ValidationError,
    answer,
    answer_change,
)
from schema.ids import key
from schema.mutations import WorkOrderPayload, payload
from schema.parties import User
from schema.types import CustomerCall, WarningSlip, WorkOrder
from server.services import absence, calls, escalation, regrading, slips

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

        return await answer_change(run, sent_id=input.id)

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

        return await answer_change(run, sent_id=input.id)

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

        return await answer_change(run, sent_id=input.id)

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

        return await answer_change(run, sent_id=input.id)

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
