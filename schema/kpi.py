"""KPIs in GraphQL: a tenant admin reconciles a month (issues its frozen statement, or compares
an issued one again: differences become adjustments in the next month) and assesses a quarter;
statements, discrepancies, appeals and the quarterly ranking are read where the caller holds
kpi.read; dealers appeal an outcome and the RBO or SE decides."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

import strawberry

from schema.context import Info
from schema.errors import NotFound, NotPermitted, ValidationError, answer
from schema.ids import encode, key
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


@strawberry.type(description="One KPI's counts for one org unit (dealer, region or brand).")
class KpiStatementLine:
    org_unit_id: strawberry.ID = strawberry.field(description="The dealer, region or brand.")
    org_path: str = strawberry.field(description="Where it lies in the org tree.")
    level: str = strawberry.field(description="dealer, region or brand.")
    kpi: str = strawberry.field(description="The KPI's code in the profile.")
    population: int = strawberry.field(description="The month's orders it counts.")
    timely: int = strawberry.field(description="Of them, timely.")
    not_timely: int = strawberry.field(description="Of them, not timely.")
    pending: int = strawberry.field(description="Of them, not settled when it was issued.")
    adjusted_timely: int = strawberry.field(
        description="Net change to timely carried in from earlier months (settled, re-run, appeal)."
    )
    adjusted_not_timely: int = strawberry.field(description="The same for not timely.")
    rate: Decimal | None = strawberry.field(
        description="Timely share of the settled orders (adjustments included), 0 to 1 to four "
        "places; null with nothing settled."
    )


@strawberry.type(
    description="A change to an issued month's outcome of one order, carried into "
    "a later statement instead of editing the issued one."
)
class KpiAdjustment:
    id: strawberry.ID = strawberry.field(description="The adjustment.")
    work_order_id: strawberry.ID = strawberry.field(description="The order.")
    order_number: str = strawberry.field(description="The order's number.")
    org_unit_id: strawberry.ID = strawberry.field(description="The dealer it counts for.")
    kpi: str = strawberry.field(description="The KPI's code.")
    origin_period: str = strawberry.field(description="The issued month it corrects.")
    period: str = strawberry.field(description="The month whose statement carries it.")
    from_outcome: str = strawberry.field(description="timely, not_timely or pending.")
    to_outcome: str = strawberry.field(description="The outcome it has now.")
    cause: str = strawberry.field(
        description="rerun (changed after the close), settled (a pending order) or appeal."
    )
    due_at: datetime | None = strawberry.field(description="The deadline that decides it.")
    at: datetime | None = strawberry.field(description="When it was met or settled.")
    created_at: datetime = strawberry.field(description="When it was found.")


@strawberry.type(description="A frozen monthly KPI statement: the lines you may see.")
class KpiStatement:
    id: strawberry.ID = strawberry.field(description="The statement.")
    period: str = strawberry.field(description="YYYY-MM.")
    starts_at: datetime = strawberry.field(description="The month's first instant.")
    ends_at: datetime = strawberry.field(description="The next month's first instant.")
    issued_at: datetime = strawberry.field(description="When its outcomes were taken.")
    profile_version: str = strawberry.field(description="The profile it was computed with.")
    lines: list[KpiStatementLine] = strawberry.field(
        description="Where you hold kpi.read: a dealer its own, an RBO its region's, HQ all."
    )
    adjustments: list[KpiAdjustment] = strawberry.field(
        description="The changes to earlier months this statement carries, where you see them."
    )


@strawberry.type(description="Monthly KPI statements, newest first.")
class KpiStatementList:
    statements: list[KpiStatement] = strawberry.field(description="The statements.")


@strawberry.type(description="Every change found to a month's issued outcomes since its issue.")
class Discrepancies:
    adjustments: list[KpiAdjustment] = strawberry.field(description="Oldest first.")


@strawberry.type(description="The RBO's or SE's decision on an appeal.")
class KpiAppealDecision:
    accepted: bool = strawberry.field(description="Accepted: the outcome becomes timely.")
    reason: str = strawberry.field(description="Why.")
    decided_at: datetime = strawberry.field(description="When.")
    carried_into: str | None = strawberry.field(
        description="The month whose statement carries the accepted appeal's adjustment."
    )


@strawberry.type(description="A dealer's appeal (申诉) against one order's KPI outcome.")
class KpiAppeal:
    id: strawberry.ID = strawberry.field(description="The appeal.")
    statement_id: strawberry.ID = strawberry.field(description="The statement appealed.")
    period: str = strawberry.field(description="Its month.")
    work_order_id: strawberry.ID = strawberry.field(description="The order.")
    order_number: str = strawberry.field(description="The order's number.")
    kpi: str = strawberry.field(description="The KPI's code.")
    outcome: str = strawberry.field(description="The outcome appealed against.")
    reason: str = strawberry.field(description="The dealer's reason.")
    evidence: str = strawberry.field(description="The dealer's evidence.")
    filed_at: datetime = strawberry.field(description="When it was filed.")
    decision: KpiAppealDecision | None = strawberry.field(description="Null until decided.")


@strawberry.type(description="KPI appeals, oldest first.")
class KpiAppealList:
    appeals: list[KpiAppeal] = strawberry.field(description="The appeals.")


@strawberry.type(description="One dealer's place in its region's quarterly ranking.")
class RankingLine:
    dealer_id: strawberry.ID = strawberry.field(description="The dealer.")
    region_id: strawberry.ID = strawberry.field(description="Its region (the ranking group).")
    rank: int = strawberry.field(description="1 is best; equal score and deliveries share it.")
    score: Decimal | None = strawberry.field(
        description="The profile's score; null when a weighted KPI had nothing settled."
    )
    deliveries: int = strawberry.field(description="The quarter's deliveries (the tie-break).")
    reward: int = strawberry.field(description="In the currency; 0 for none.")
    penalty: int = strawberry.field(description="In the currency; 0 for none.")


@strawberry.type(description="A quarter's ranking: frozen once assessed, else as of now.")
class QuarterlyRanking:
    quarter: str = strawberry.field(description="YYYY-Qn.")
    statement_id: strawberry.ID | None = strawberry.field(
        description="The frozen finance statement; null: not assessed yet."
    )
    currency: str = strawberry.field(description="Of rewards and penalties, e.g. CNY.")
    lines: list[RankingLine] = strawberry.field(description="By region, then rank.")


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


def _line(found: statements.Line) -> KpiStatementLine:
    row = found.row
    return KpiStatementLine(
        org_unit_id=encode("OrgUnit", row.org_unit_id),
        org_path=row.org_path,
        level=row.level,
        kpi=row.kpi,
        population=row.population,
        timely=row.timely,
        not_timely=row.not_timely,
        pending=row.pending,
        adjusted_timely=row.adjusted_timely,
        adjusted_not_timely=row.adjusted_not_timely,
        rate=found.rate,
    )


def _adjustment(found: statements.Adjustment) -> KpiAdjustment:
    row = found.row
    return KpiAdjustment(
        id=encode("KpiAdjustment", row.id),
        work_order_id=encode("WorkOrder", row.work_order_id),
        order_number=found.order_number,
        org_unit_id=encode("OrgUnit", row.org_unit_id),
        kpi=row.kpi,
        origin_period=found.origin_period,
        period=row.period,
        from_outcome=row.from_outcome,
        to_outcome=row.to_outcome,
        cause=row.cause,
        due_at=row.due_at,
        at=row.at,
        created_at=row.created_at,
    )


def _statement(found: statements.Statement) -> KpiStatement:
    row = found.row
    return KpiStatement(
        id=encode("KpiStatement", row.id),
        period=row.period,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        issued_at=row.issued_at,
        profile_version=row.profile_version,
        lines=[_line(line) for line in found.lines],
        adjustments=[_adjustment(a) for a in found.adjustments],
    )


def _appeal(found: appeals.Appeal) -> KpiAppeal:
    row, decided = found.row, found.decision
    decision = None
    if decided is not None:
        decision = KpiAppealDecision(
            accepted=decided.accepted,
            reason=decided.reason,
            decided_at=decided.decided_at,
            carried_into=found.carried_into,
        )
    return KpiAppeal(
        id=encode("KpiAppeal", row.id),
        statement_id=encode("KpiStatement", row.statement_id),
        period=found.period,
        work_order_id=encode("WorkOrder", row.work_order_id),
        order_number=found.order_number,
        kpi=row.kpi,
        outcome=row.outcome,
        reason=row.reason,
        evidence=row.evidence,
        filed_at=row.filed_at,
        decision=decision,
    )


def _ranking(found: assessment.Ranking) -> QuarterlyRanking:
    statement = found.statement_id
    return QuarterlyRanking(
        quarter=found.quarter,
        currency=found.currency,
        statement_id=None if statement is None else encode("KpiStatement", statement),
        lines=[
            RankingLine(
                dealer_id=encode("OrgUnit", r.dealer),
                region_id=encode("OrgUnit", r.group),
                rank=r.rank,
                score=r.score,
                deliveries=r.deliveries,
                reward=r.reward,
                penalty=r.penalty,
            )
            for r in found.lines
        ],
    )


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
            return KpiStatementList(statements=[_statement(s) for s in found])

        return await answer(run, ValidationError, NotPermitted)

    @strawberry.field(description="One monthly statement with its lines and adjustments.")
    async def statement(self, info: Info, id: StatementId) -> KpiStatementResult:
        async def run() -> KpiStatement:
            caller = info.context.caller
            return _statement(await statements.get_statement(caller, key("KpiStatement", id)))

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
            return Discrepancies(adjustments=[_adjustment(a) for a in found])

        return await answer(run, ValidationError, NotPermitted)

    @strawberry.field(description="KPI appeals where you hold kpi.read, or those of a month.")
    async def appeals(self, info: Info, period: AppealedMonth = None) -> KpiAppealsResult:
        async def run() -> KpiAppealList:
            found = await appeals.list_appeals(info.context.caller, period)
            return KpiAppealList(appeals=[_appeal(a) for a in found])

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
            return _ranking(await assessment.ranking(caller, quarter, region))

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
            return KpiAppealPayload(appeal=_appeal(filed))

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
            return KpiAppealPayload(appeal=_appeal(decided))

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
            return _ranking(await assessment.assess_quarter(info.context.caller, input.quarter))

        return await answer(run, ValidationError, NotPermitted)
