"""The KPI read side in GraphQL: statements with their lines and adjustments, discrepancies,
appeals with their decisions and the quarterly ranking, each built from what the services answer."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from schema.ids import encode
from server.services import appeals, assessment, statements


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
    from_outcome: str = strawberry.field(
        description="timely, not_timely, pending or excluded (the order was not in the month's "
        "population: it joined it after the close)."
    )
    to_outcome: str = strawberry.field(
        description="The outcome it has now; excluded: it left the month's population."
    )
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


def adjustment(found: statements.Adjustment) -> KpiAdjustment:
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


def statement(found: statements.Statement) -> KpiStatement:
    row = found.row
    return KpiStatement(
        id=encode("KpiStatement", row.id),
        period=row.period,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        issued_at=row.issued_at,
        profile_version=row.profile_version,
        lines=[_line(line) for line in found.lines],
        adjustments=[adjustment(a) for a in found.adjustments],
    )


def appeal(found: appeals.Appeal) -> KpiAppeal:
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


def ranking(found: assessment.Ranking) -> QuarterlyRanking:
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
