"""Appeals (申诉) against a KPI outcome (issue 13, Deliver 4; DOMAIN.md §8.2).

A dealer's manager (kpi.appeal where the order counted) appeals an order's not timely outcome in
an issued monthly statement, with a reason and evidence, until the profile's appeal days after the
statement was issued. The RBO or SE (kpi.decide there) accepts or rejects it with a reason. An
accepted appeal is an adjustment (cause appeal, not timely -> timely) carried into the first month
not issued yet, never an edit of the issued statement, and a re-run leaves it standing. Filing and
deciding are events in the order's history. Appeals and decisions are frozen rows (migration 0013).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import (
    KpiAdjustment,
    KpiAppeal,
    KpiAppealDecision,
    KpiOrderOutcome,
    KpiStatement,
    WorkOrder,
)
from server.domain.errors import FieldProblem, InvalidInputError, NotFoundError
from server.domain.kpi import Outcome
from server.domain.text import text_problem
from server.services import history, reconciliation, references
from server.services.caller import Caller
from server.services.queries import visible
from server.services.statements import READ, period_problem

APPEAL: references.Kind[KpiAppeal] = references.Kind(
    "KPI appeal", KpiAppeal.id, select(KpiAppeal, KpiAppeal.org_path), (READ,)
)


@dataclass(frozen=True)
class Appeal:
    row: KpiAppeal
    order_number: str
    period: str
    decision: KpiAppealDecision | None
    carried_into: str | None = None  # the month carrying an accepted appeal's adjustment


async def file_appeal(
    caller: Caller, statement_id: int, order_id: int, kpi: str, *, reason: str, evidence: str
) -> Appeal:
    problems = _text_problems(reason=reason, evidence=evidence)
    rules = caller.profile.kpi_rules
    if rules is None or kpi not in {k.code for k in rules.kpis}:
        problems.append(FieldProblem(("kpi",), f"{kpi!r} is not a KPI of the tenant's profile"))
    if problems:
        raise InvalidInputError(problems)
    assert rules is not None
    now = caller.clock()
    async with caller.db.write() as session:
        statement = await session.scalar(
            select(KpiStatement).where(
                KpiStatement.id == statement_id, KpiStatement.kind == reconciliation.MONTHLY
            )
        )
        if statement is None or not caller.authz.scopes(READ):
            raise NotFoundError("KPI statement", str(statement_id))
        order = await references.find(session, caller, references.ORDER, order_id)
        if order is None:
            raise references.missing(references.ORDER, order_id, "workOrderId")
        outcome = await _outcome(session, statement.id, order.id, kpi)
        if outcome is None:
            message = f"the order is not in {statement.period}'s population for {kpi}"
            raise InvalidInputError([FieldProblem(("workOrderId",), message)])
        row, current = outcome
        caller.authz.require("kpi.appeal", row.org_path)
        closes = statement.issued_at + timedelta(days=rules.appeal_days)
        if now > closes:
            message = (
                f"appeals against {statement.period} closed at {closes.isoformat()}, "
                f"{rules.appeal_days} days after it was issued"
            )
            raise InvalidInputError([FieldProblem(("statementId",), message)])
        if current != Outcome.NOT_TIMELY.value:
            message = f"the order's {kpi} outcome is {current}: only not timely may be appealed"
            raise InvalidInputError([FieldProblem(("kpi",), message)])
        if await _filed(session, statement.id, order.id, kpi):
            message = f"the order's {kpi} outcome in {statement.period} is appealed already"
            raise InvalidInputError([FieldProblem(("workOrderId",), message)])
        appeal = KpiAppeal(
            statement_id=statement.id,
            work_order_id=order.id,
            org_unit_id=row.org_unit_id,
            org_path=row.org_path,
            kpi=kpi,
            outcome=current,
            reason=reason,
            evidence=evidence,
            filed_by_id=caller.user_id,
            filed_at=now,
        )
        session.add(appeal)
        await session.flush()
        data = {"appeal": appeal.id, "period": statement.period, "kpi": kpi}
        await history.record(
            session, order, caller.user_id, now, "kpi.appeal_filed", comment=reason, data=data
        )
    return Appeal(appeal, order.number, statement.period, None)


async def decide_appeal(caller: Caller, appeal_id: int, *, accept: bool, reason: str) -> Appeal:
    if problems := _text_problems(reason=reason):
        raise InvalidInputError(problems)
    now = caller.clock()
    async with caller.db.write() as session:
        # Issuing a month holds this lock too: the month the adjustment goes to stays unissued.
        await reconciliation.lock_tenant(session, caller.tenant.tenant_id)
        appeal = await references.resolve(session, caller, APPEAL, appeal_id)
        caller.authz.require("kpi.decide", appeal.org_path)
        decided = select(KpiAppealDecision.id).where(KpiAppealDecision.appeal_id == appeal.id)
        if await session.scalar(decided) is not None:
            raise InvalidInputError([FieldProblem(("appealId",), "the appeal is decided already")])
        statement = await session.get_one(KpiStatement, appeal.statement_id)
        adjustment = None
        if accept:
            adjustment = await _adjust(session, appeal, statement.period, now=now)
        decision = KpiAppealDecision(
            appeal_id=appeal.id,
            accepted=accept,
            reason=reason,
            decided_by_id=caller.user_id,
            decided_at=now,
            adjustment_id=adjustment.id if adjustment else None,
        )
        session.add(decision)
        await session.flush()
        order = await session.get_one(WorkOrder, appeal.work_order_id)
        data = {
            "appeal": appeal.id,
            "accepted": accept,
            "carried_into": adjustment.period if adjustment else None,
        }
        await history.record(
            session, order, caller.user_id, now, "kpi.appeal_decided", comment=reason, data=data
        )
    carried = adjustment.period if adjustment else None
    return Appeal(appeal, order.number, statement.period, decision, carried)


async def list_appeals(caller: Caller, period: str | None = None) -> list[Appeal]:
    """The appeals where the caller reads KPIs, oldest first, or those against `period`."""
    if period is not None and (problem := period_problem(period)):
        raise InvalidInputError([problem])
    query = (
        select(
            KpiAppeal,
            WorkOrder.number,
            KpiStatement.period,
            KpiAppealDecision,
            KpiAdjustment.period,
        )
        .join(WorkOrder, WorkOrder.id == KpiAppeal.work_order_id)
        .join(KpiStatement, KpiStatement.id == KpiAppeal.statement_id)
        .outerjoin(KpiAppealDecision, KpiAppealDecision.appeal_id == KpiAppeal.id)
        .outerjoin(KpiAdjustment, KpiAdjustment.id == KpiAppealDecision.adjustment_id)
        .where(visible(caller, READ, KpiAppeal.org_path))
        .order_by(KpiAppeal.id)
    )
    if period is not None:
        query = query.where(KpiStatement.period == period)
    async with caller.db.read() as session:
        return [Appeal(*row) for row in (await session.execute(query)).all()]


def _text_problems(**texts: str) -> list[FieldProblem]:
    return [
        FieldProblem((name,), f"{name} {problem}")
        for name, value in texts.items()
        if (problem := text_problem(value, required=True))
    ]


async def _outcome(
    session: AsyncSession, statement_id: int, order_id: int, kpi: str
) -> tuple[KpiOrderOutcome, str] | None:
    """The order's issued outcome row and the outcome it has now (adjustments applied)."""
    query = select(KpiOrderOutcome, reconciliation.effective()).where(
        KpiOrderOutcome.statement_id == statement_id,
        KpiOrderOutcome.work_order_id == order_id,
        KpiOrderOutcome.kpi == kpi,
    )
    found = (await session.execute(query)).one_or_none()
    return None if found is None else (found[0], found[1])


async def _filed(session: AsyncSession, statement_id: int, order_id: int, kpi: str) -> bool:
    query = select(KpiAppeal.id).where(
        KpiAppeal.statement_id == statement_id,
        KpiAppeal.work_order_id == order_id,
        KpiAppeal.kpi == kpi,
    )
    return await session.scalar(query) is not None


async def _adjust(
    session: AsyncSession, appeal: KpiAppeal, period: str, *, now: datetime
) -> KpiAdjustment | None:
    """The accepted appeal's adjustment; none when the outcome has changed since it was filed (a
    re-run found the order timely after all): there is nothing left to correct."""
    found = await _outcome(session, appeal.statement_id, appeal.work_order_id, appeal.kpi)
    assert found is not None
    row, current = found
    if current != appeal.outcome:
        return None
    into = await reconciliation.next_open(session, period)
    adjustment = KpiAdjustment(
        origin_statement_id=appeal.statement_id,
        period=into,
        work_order_id=appeal.work_order_id,
        org_unit_id=row.org_unit_id,
        org_path=row.org_path,
        kpi=appeal.kpi,
        from_outcome=current,
        to_outcome=Outcome.TIMELY.value,
        cause=reconciliation.APPEAL,
        due_at=row.due_at,
        at=row.at,
        created_at=now,
    )
    session.add(adjustment)
    await session.flush()
    return adjustment
