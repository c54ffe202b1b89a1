"""KPIs in GraphQL: a tenant admin reconciles a month (issues its frozen statement, or compares
an issued one again: differences become adjustments in the next month)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.context import Info
from schema.errors import NotPermitted, ValidationError, answer
from schema.ids import encode
from server.services import reconciliation


@strawberry.input(description="The month to reconcile, in the tenant's timezone.")
class RunReconciliationInput:
    month: str = strawberry.field(description="YYYY-MM; the month must be over.")


@strawberry.type(description="What a reconciliation did.")
class ReconciliationRun:
    statement_id: strawberry.ID = strawberry.field(description="The month's statement.")
    month: str = strawberry.field(description="YYYY-MM.")
    issued: bool = strawberry.field(
        description="True: this run issued the statement; false: it was issued before and this "
        "run compared it with a fresh computation."
    )
    adjustments: int = strawberry.field(
        description="Adjustments this run wrote: differences found by a re-run, or earlier "
        "months' pending orders settled by an issue. A re-run with nothing changed writes none."
    )


RunReconciliationResult = Annotated[
    ReconciliationRun | ValidationError | NotPermitted,
    strawberry.union("RunReconciliationResult", description="What the run did, or why not."),
]


@strawberry.type
class KpiMutation:
    @strawberry.mutation(
        description="Reconcile a month now: needs kpi.reconcile at the brand root. The scheduler "
        "does the same after each month, at the profile's day and hour."
    )
    async def run_reconciliation(
        self,
        info: Info,
        input: Annotated[RunReconciliationInput, strawberry.argument(description="The month.")],
    ) -> RunReconciliationResult:
        async def run() -> ReconciliationRun:
            done = await reconciliation.run_reconciliation(info.context.caller, input.month)
            return ReconciliationRun(
                statement_id=encode("KpiStatement", done.statement_id),
                month=done.period,
                issued=done.issued,
                adjustments=done.adjustments,
            )

        return await answer(run, ValidationError, NotPermitted)
