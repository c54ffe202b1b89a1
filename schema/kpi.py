"""KPIs in GraphQL: a tenant admin reconciles a month (issues its frozen statement, or compares
an issued one again: differences become adjustments in the next month) and assesses a quarter;
statements, discrepancies, appeals and the quarterly ranking are read where the caller holds
kpi.read; dealers appeal an outcome and the RBO or SE decides."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema import kpi_types
from schema.context import Info
from schema.errors import NotFound, NotPermitted, ValidationError, answer
from schema.ids import encode, key
from schema.kpi_types import (
    Discrepancies,
    KpiAppeal,
    KpiAppealList,
    KpiStatement,
    KpiStatementList,
    QuarterlyRanking,
)
from server.services import appeals, assessment, reconciliation, statements


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


@strawberry.input(description="An appeal against one order's not timely outcome.")
class FileAppealInput:
    statement_id: strawberry.ID = strawberry.field(description="The issued monthly statement.")
    work_order_id: strawberry.ID = strawberry.field(description="The order.")
    kpi: str = strawberry.field(description="The KPI's code.")
    reason: str = strawberry.field(description="Why the outcome is wrong.")
    evidence: str = strawberry.field(description="What shows it.")


@strawberry.input(description="Accept or reject an appeal, with a reason.")
class DecideAppealInput:
    appeal_id: strawberry.ID = strawberry.field(description="The appeal.")
    accept: bool = strawberry.field(description="True accepts, false rejects.")
    reason: str = strawberry.field(description="Why.")


@strawberry.input(description="One dealer's deliveries in the quarter.")
class DeliveriesRow:
    dealer: str = strawberry.field(description="The dealer's code.")
    deliveries: int = strawberry.field(description="Vehicles delivered, 0 or more.")


@strawberry.input(description="The quarter's deliveries per dealer (the ranking's tie-break).")
class ImportDeliveriesInput:
    quarter: str = strawberry.field(description="YYYY-Qn.")
    rows: list[DeliveriesRow] = strawberry.field(description="One row per dealer.")


@strawberry.type(description="How many dealers' deliveries were stored.")
class ImportDeliveriesPayload:
    imported: int = strawberry.field(description="Rows stored; a dealer's earlier figure replaced.")


@strawberry.input(description="The quarter to assess.")
class AssessQuarterInput:
    quarter: str = strawberry.field(description="YYYY-Qn; its three months must be reconciled.")


@strawberry.type(description="The appeal as it is now.")
class KpiAppealPayload:
    appeal: KpiAppeal = strawberry.field(description="The appeal.")


KpiStatementsResult = Annotated[
    KpiStatementList | ValidationError | NotPermitted,
    strawberry.union("KpiStatementsResult", description="The statements, or why not."),
]
KpiStatementResult = Annotated[
    KpiStatement | NotFound,
    strawberry.union("KpiStatementResult", description="The statement, or NotFound."),
]
DiscrepanciesResult = Annotated[
    Discrepancies | ValidationError | NotPermitted,
    strawberry.union("DiscrepanciesResult", description="The month's changes, or why not."),
]
KpiAppealsResult = Annotated[
    KpiAppealList | ValidationError,
    strawberry.union("KpiAppealsResult", description="The appeals, or why not."),
]
QuarterlyRankingResult = Annotated[
    QuarterlyRanking | ValidationError | NotFound,
    strawberry.union("QuarterlyRankingResult", description="The ranking, or why not."),
]
KpiAppealResult = Annotated[
    KpiAppealPayload | ValidationError | NotPermitted | NotFound,
    strawberry.union("KpiAppealResult", description="The appeal, or why not."),
]
ImportDeliveriesResult = Annotated[
    ImportDeliveriesPayload | ValidationError | NotPermitted,
    strawberry.union("ImportDeliveriesResult", description="How many, or every bad row."),
]
AssessQuarterResult = Annotated[
    QuarterlyRanking | ValidationError | NotPermitted,
    strawberry.union("AssessQuarterResult", description="The frozen ranking, or why not."),
]


def _unit(sent: strawberry.ID | None) -> int | None:
    return None if sent is None else key("OrgUnit", sent)


Month = Annotated[str | None, strawberry.argument(description="YYYY-MM; all months when left out.")]
LinesUnder = Annotated[
    strawberry.ID | None, strawberry.argument(description="Lines at or below this unit.")
]
StatementId = Annotated[strawberry.ID, strawberry.argument(description="The statement.")]
IssuedMonth = Annotated[str, strawberry.argument(description="The issued month, YYYY-MM.")]
ChangesUnder = Annotated[
    strawberry.ID | None, strawberry.argument(description="Changes at or below this unit.")
]
AppealedMonth = Annotated[
    str | None, strawberry.argument(description="The appealed month, YYYY-MM.")
]
QuarterArg = Annotated[str, strawberry.argument(description="YYYY-Qn.")]
RegionArg = Annotated[
    strawberry.ID | None, strawberry.argument(description="One region's ranking.")
]
FileAppealArg = Annotated[
    FileAppealInput, strawberry.argument(description="The outcome appealed and why.")
]
DecideAppealArg = Annotated[
    DecideAppealInput, strawberry.argument(description="The appeal and the decision.")
]
ImportDeliveriesArg = Annotated[
    ImportDeliveriesInput, strawberry.argument(description="The quarter and its rows.")
]
AssessQuarterArg = Annotated[AssessQuarterInput, strawberry.argument(description="The quarter.")]


@strawberry.type
class KpiQuery:
    @strawberry.field(
        description="Monthly KPI statements (or the one of `period`, YYYY-MM) with the lines "
        "where you hold kpi.read, at or below `orgUnitId` if given."
    )
    async def statements(
        self,
        info: Info,
        period: Month = None,
        org_unit_id: LinesUnder = None,
    ) -> KpiStatementsResult:
        async def run() -> KpiStatementList:
            found = await statements.list_statements(
                info.context.caller, period, _unit(org_unit_id)
            )
            return KpiStatementList(statements=[kpi_types.statement(s) for s in found])

        return await answer(run, ValidationError, NotPermitted)

    @strawberry.field(description="One monthly statement with its lines and adjustments.")
    async def statement(self, info: Info, id: StatementId) -> KpiStatementResult:
        async def run() -> KpiStatement:
            caller = info.context.caller
            return kpi_types.statement(
                await statements.get_statement(caller, key("KpiStatement", id))
            )

        return await answer(run, NotFound, sent_id=id)

    @strawberry.field(
        description="Every change found to a month's issued outcomes (YYYY-MM) since it was "
        "issued, each with the month carrying it, where you hold kpi.read."
    )
    async def discrepancies(
        self,
        info: Info,
        period: IssuedMonth,
        org_unit_id: ChangesUnder = None,
    ) -> DiscrepanciesResult:
        async def run() -> Discrepancies:
            found = await statements.discrepancies(info.context.caller, period, _unit(org_unit_id))
            return Discrepancies(adjustments=[kpi_types.adjustment(a) for a in found])

        return await answer(run, ValidationError, NotPermitted)

    @strawberry.field(description="KPI appeals where you hold kpi.read, or those of a month.")
    async def appeals(self, info: Info, period: AppealedMonth = None) -> KpiAppealsResult:
        async def run() -> KpiAppealList:
            found = await appeals.list_appeals(info.context.caller, period)
            return KpiAppealList(appeals=[kpi_types.appeal(a) for a in found])

        return await answer(run, ValidationError)

    @strawberry.field(
        description="A quarter's dealer ranking per region (YYYY-Qn), where you hold kpi.read."
    )
    async def quarterly_ranking(
        self,
        info: Info,
        quarter: QuarterArg,
        region_id: RegionArg = None,
    ) -> QuarterlyRankingResult:
        async def run() -> QuarterlyRanking:
            caller = info.context.caller
            region = None if region_id is None else key("OrgUnit", region_id)
            return kpi_types.ranking(await assessment.ranking(caller, quarter, region))

        return await answer(run, ValidationError, NotFound, sent_id=quarter)


@strawberry.type
class KpiAppealMutation:
    @strawberry.mutation(
        description="Appeal an order's not timely outcome in an issued statement: kpi.appeal "
        "where it counted, within the profile's appeal days after the issue."
    )
    async def file_appeal(
        self,
        info: Info,
        input: FileAppealArg,
    ) -> KpiAppealResult:
        async def run() -> KpiAppealPayload:
            filed = await appeals.file_appeal(
                info.context.caller,
                key("KpiStatement", input.statement_id),
                key("WorkOrder", input.work_order_id),
                input.kpi,
                reason=input.reason,
                evidence=input.evidence,
            )
            return KpiAppealPayload(appeal=kpi_types.appeal(filed))

        sent = input.statement_id
        return await answer(run, ValidationError, NotPermitted, NotFound, sent_id=sent)

    @strawberry.mutation(
        description="Accept or reject an appeal: kpi.decide where it counted (RBO, SE). An "
        "accepted one is an adjustment in the next statement, never an edit."
    )
    async def decide_appeal(
        self,
        info: Info,
        input: DecideAppealArg,
    ) -> KpiAppealResult:
        async def run() -> KpiAppealPayload:
            decided = await appeals.decide_appeal(
                info.context.caller,
                key("KpiAppeal", input.appeal_id),
                accept=input.accept,
                reason=input.reason,
            )
            return KpiAppealPayload(appeal=kpi_types.appeal(decided))

        sent = input.appeal_id
        return await answer(run, ValidationError, NotPermitted, NotFound, sent_id=sent)

    @strawberry.mutation(
        description="Store the quarter's deliveries per dealer code: kpi.reconcile. Every bad "
        "row is reported at once (path rows, index, column); nothing is stored then."
    )
    async def import_deliveries(
        self,
        info: Info,
        input: ImportDeliveriesArg,
    ) -> ImportDeliveriesResult:
        async def run() -> ImportDeliveriesPayload:
            rows = [assessment.DeliveryRow(r.dealer, str(r.deliveries)) for r in input.rows]
            stored = await assessment.import_deliveries(info.context.caller, input.quarter, rows)
            return ImportDeliveriesPayload(imported=stored)

        return await answer(run, ValidationError, NotPermitted)

    @strawberry.mutation(
        description="Assess a quarter: rank the dealers per region and freeze the finance "
        "statement with rewards and penalties (kpi.reconcile). Once only; again returns it."
    )
    async def assess_quarter(
        self,
        info: Info,
        input: AssessQuarterArg,
    ) -> AssessQuarterResult:
        async def run() -> QuarterlyRanking:
            return kpi_types.ranking(
                await assessment.assess_quarter(info.context.caller, input.quarter)
            )

        return await answer(run, ValidationError, NotPermitted)
