"""The reviewer's corrections in GraphQL: correctWorkOrder (summary, details, flags, demands,
category, with the reason in the history). Regrading is schema/escalation.py's."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.context import Info
from schema.errors import (
    Conflict,
    NotFound,
    NotPermitted,
    TransitionNotAllowed,
    ValidationError,
    answer_change,
)
from schema.ids import key
from schema.mutations import WorkOrderPayload, payload
from server.services import corrections

CorrectResult = Annotated[
    WorkOrderPayload | ValidationError | NotPermitted | NotFound | Conflict | TransitionNotAllowed,
    strawberry.union(
        "CorrectWorkOrderResult", description="The corrected order, or why nothing changed."
    ),
]


@strawberry.input(
    description="Correct what was entered; a field left out is unchanged, a list replaces."
)
class CorrectWorkOrderInput:
    id: strawberry.ID = strawberry.field(description="The order.")
    expected_version: int = strawberry.field(description="The version you read.")
    reason: str = strawberry.field(description="Why the entry is corrected (kept in the history).")
    summary: str | None = strawberry.field(default=None, description="The corrected summary.")
    details: str | None = strawberry.field(default=None, description="The corrected details.")
    category: str | None = strawberry.field(
        default=None, description="The corrected category, of the same nature (complaint or not)."
    )
    flags: list[str] | None = strawberry.field(
        default=None, description="The order's flags as they should be (replaces them all)."
    )
    demands: list[str] | None = strawberry.field(
        default=None, description="The customer's demands as they should be (replaces them all)."
    )


@strawberry.type
class CorrectionMutation:
    @strawberry.mutation(
        description=(
            "Correct the operator's entry during review: needs workorder.review. The history "
            "keeps what was there and the grade the rules would now propose; change the grade "
            "with regradeWorkOrder."
        )
    )
    async def correct_work_order(
        self,
        info: Info,
        input: Annotated[
            CorrectWorkOrderInput, strawberry.argument(description="The order and its corrections.")
        ],
    ) -> CorrectResult:
        async def run() -> WorkOrderPayload:
            change = corrections.Correction(
                reason=input.reason,
                summary=input.summary,
                details=input.details,
                category=input.category,
                flags=input.flags,
                demands=input.demands,
            )
            order = key("WorkOrder", input.id)
            row = await corrections.correct(
                info.context.caller, order, change, input.expected_version
            )
            return payload(info, row)

        return await answer_change(run, sent_id=input.id)
