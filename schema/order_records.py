"""What an order owes or has had recorded beyond its form: its written reports, its facts and its
outcome (docs/rules.md#written-reports, #conditional-deadlines, #outcomes), and the mutations
that submit a report and record a fact and an outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from schema.context import Context, Info
from schema.errors import answer_change
from schema.ids import key
from schema.mutations import ChangeResult, WorkOrderPayload, payload
from schema.parties import Label, User, soon_user
from schema.rows import computed, from_row, global_id
from server.db import models
from server.services import order_facts, written_reports


def _label(report: WrittenReport) -> Label:
    # A report of an order under an earlier profile version may no longer be in the profile.
    rules = report.ctx.caller.profile.written_reports
    rule = next((r for r in rules if r.code == report.row.code), None)
    return Label.of(rule.label) if rule else Label(zh=report.row.code, en=report.row.code)


@strawberry.type(
    description="A report the order owes from its registration, e.g. the written report of a "
    "major fault: due at once and escalated to a higher tier."
)
class WrittenReport:
    row: strawberry.Private[models.WrittenReport]
    ctx: strawberry.Private[Context]

    id: strawberry.ID = global_id("WrittenReport")
    code: str = from_row("The report's code in the tenant's profile.")
    label: Label = computed("The report's name in the tenant's languages.", _label)
    created_at: datetime = from_row("When the order was registered and the report became owed.")
    due_at: datetime | None = from_row(
        "When it is due (at registration when due at once); null while the calendar is missing."
    )
    escalated_to: str = from_row("The tier told at once that the report is owed.")
    submitted_at: datetime | None = from_row("When it was submitted; null while owed.")


@strawberry.type(description="A fact or the outcome recorded on an order during handling.")
class OrderFact:
    row: strawberry.Private[models.OrderFact]
    ctx: strawberry.Private[Context]

    kind: str = from_row("fact, or outcome (at most one per order).")
    code: str = from_row("The fact's or outcome's code in the tenant's profile.")
    recorded_at: datetime = from_row("When it was recorded.")
    recorded_by: User | None = computed(
        "Who recorded it.", lambda f: soon_user(f.ctx, f.row.recorded_by_id)
    )


@strawberry.input(description="A fact learnt about an order, e.g. the customer was unreachable.")
class RecordOrderFactInput:
    id: strawberry.ID = strawberry.field(description="The order.")
    expected_version: int = strawberry.field(description="The version you read.")
    fact: str = strawberry.field(description="A fact code of the tenant's profile.")
    comment: str | None = strawberry.field(default=None, description="Kept in the history.")


@strawberry.input(description="How the order's matter ended, e.g. settled or arbitration.")
class RecordOrderOutcomeInput:
    id: strawberry.ID = strawberry.field(description="The order.")
    expected_version: int = strawberry.field(description="The version you read.")
    outcome: str = strawberry.field(description="An outcome code of the tenant's profile.")
    comment: str | None = strawberry.field(default=None, description="Kept in the history.")


@strawberry.input(description="A written report the order owes, sent.")
class SubmitWrittenReportInput:
    id: strawberry.ID = strawberry.field(description="The written report.")
    expected_version: int = strawberry.field(description="The version of its order you read.")


@strawberry.type
class OrderRecordMutation:
    @strawberry.mutation(
        description="Mark a written report as submitted: needs workorder.handle; once."
    )
    async def submit_written_report(
        self,
        info: Info,
        input: Annotated[SubmitWrittenReportInput, strawberry.argument(description="The report.")],
    ) -> ChangeResult:
        async def run() -> WorkOrderPayload:
            report, caller = key("WrittenReport", input.id), info.context.caller
            row = await written_reports.submit(caller, report, input.expected_version)
            return payload(info, row)

        return await answer_change(run, sent_id=input.id)

    @strawberry.mutation(
        description=(
            "Record a fact on an order: needs workorder.handle. The clocks the profile conditions "
            "on it take their other target, keeping the time used."
        )
    )
    async def record_order_fact(
        self,
        info: Info,
        input: Annotated[
            RecordOrderFactInput, strawberry.argument(description="The order and fact.")
        ],
    ) -> ChangeResult:
        async def run() -> WorkOrderPayload:
            order, caller = key("WorkOrder", input.id), info.context.caller
            row = await order_facts.record_fact(
                caller, order, input.fact, input.expected_version, input.comment
            )
            return payload(info, row)

        return await answer_change(run, sent_id=input.id)

    @strawberry.mutation(
        description=(
            "Record how the order's matter ended: needs workorder.handle, in a state the "
            "profile allows; once per order."
        )
    )
    async def record_order_outcome(
        self,
        info: Info,
        input: Annotated[
            RecordOrderOutcomeInput, strawberry.argument(description="The order and outcome.")
        ],
    ) -> ChangeResult:
        async def run() -> WorkOrderPayload:
            order, caller = key("WorkOrder", input.id), info.context.caller
            row = await order_facts.record_outcome(
                caller, order, input.outcome, input.expected_version, input.comment
            )
            return payload(info, row)

        return await answer_change(run, sent_id=input.id)
