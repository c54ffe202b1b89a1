"""Revisits (回访) in GraphQL: the due list care specialists and managers work from, one revisit,
the attempts and the result, and the statistics the KPI work counts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from schema import cursors
from schema.context import Context, Info, Soon
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
from schema.parties import Label, OrgUnit, User, soon_user
from schema.queries import Cursor, PageSize
from schema.rows import computed, from_row, global_id
from schema.types import PageInfo, WorkOrder
from server.domain import revisit as domain
from server.services import revisit_results, revisits

RevisitState = strawberry.enum(domain.RevisitState, description="Where a revisit stands.")
RevisitOutcome = strawberry.enum(domain.Outcome, description="How one revisit attempt ended.")


def _order(ctx: Context, order_id: int | None) -> Soon[WorkOrder | None]:
    """An order the caller may read (one who reads revisits may not read every order)."""
    if order_id is None:
        return None
    return ctx.loaders.order_by_id.soon(
        order_id, lambda row: WorkOrder(row=row, ctx=ctx) if row else None
    )


@strawberry.type(description="One call, letter or visit of a revisit.")
class RevisitAttempt:
    row: strawberry.Private[Any]
    ctx: strawberry.Private[Context]

    id: strawberry.ID = global_id("RevisitAttempt")
    at: datetime = from_row("When (UTC).")
    outcome: RevisitOutcome = from_row(
        "Reached, no answer, busy, refused, or call back later.",
        lambda row: domain.Outcome(row.outcome),
    )
    channel: str = from_row("phone, email, letter or visit.")
    script: str | None = from_row("The script or question set used.")
    notes: str | None = from_row("What was said.")
    call_back_at: datetime | None = from_row("When the customer asked to be called back.")
    actor: User | None = computed("Who made it.", lambda a: soon_user(a.ctx, a.row.actor_id))


@strawberry.type(description="An answer to one question of the profile's question set.")
class RevisitAnswer:
    question: str = strawberry.field(description="The question's code.")
    answer: str = strawberry.field(description="The option chosen.")


def _answers(row: Any) -> list[RevisitAnswer]:
    return [RevisitAnswer(question=a["question"], answer=a["answer"]) for a in row.answers]


def _result_label(r: Revisit) -> Label | None:
    found = r.ctx.caller.profile.revisit_rules
    kind = found.results.get(r.row.result) if found is not None and r.row.result else None
    return Label.of(kind.label) if kind is not None else None


@strawberry.type(description="A revisit (回访): the callback to the customer after handling.")
class Revisit:
    row: strawberry.Private[Any]
    ctx: strawberry.Private[Context]

    id: strawberry.ID = global_id("Revisit")
    state: RevisitState = from_row(
        "Open, completed, unsuccessful or cancelled.", lambda row: domain.RevisitState(row.state)
    )
    trigger: str = from_row("The workflow step that created it (e.g. resolve).")
    created_at: datetime = from_row("When it was created (the step's time).")
    due_at: datetime | None = from_row("When the call is due; a call-back request moves it.")
    failed_attempts: int = from_row("Attempts that did not reach the customer.")
    finished_at: datetime | None = from_row("When it was completed, ended or cancelled.")
    result: str | None = from_row("The result type code of the profile.")
    result_label: Label | None = computed("The result type's label.", _result_label)
    successful: bool | None = from_row("Whether the revisit succeeded; null while open.")
    words: str | None = from_row("The customer's verdict in their own words.")
    answers: list[RevisitAnswer] = from_row(
        "Answers to the profile's questions, in its order.",
        _answers,
    )
    reason: str | None = from_row("Why it was cancelled or ended unsuccessful.")
    order: WorkOrder | None = computed(
        "The order called about; null when you may not read it.",
        lambda r: _order(r.ctx, r.row.work_order_id),
    )
    follow_up_order: WorkOrder | None = computed(
        "The complaint a dissatisfied result opened, linked to the order.",
        lambda r: _order(r.ctx, r.row.follow_up_order_id),
    )
    dealer: OrgUnit = computed(
        "The order's dealer.",
        lambda r: r.ctx.loaders.org_unit_by_id.soon(r.row.org_unit_id, lambda u: OrgUnit(row=u)),
    )
    assignee: User | None = computed(
        "Who is to call.", lambda r: soon_user(r.ctx, r.row.assignee_id)
    )
    attempts: list[RevisitAttempt] = computed(
        "Attempts, oldest first.",
        lambda r: r.ctx.loaders.attempts_by_revisit.soon(
            r.row.id, lambda rows: [RevisitAttempt(row=a, ctx=r.ctx) for a in rows]
        ),
    )


@strawberry.type(description="A page of revisits, oldest first.")
class RevisitConnection:
    nodes: list[Revisit] = strawberry.field(description="The revisits of this page.")
    page_info: PageInfo = strawberry.field(description="Where the page ends.")


@strawberry.input(description="Filters on the revisits list; all given filters must hold.")
class RevisitFilter:
    states: list[RevisitState] | None = strawberry.field(default=None, description="Any of these.")
    results: list[str] | None = strawberry.field(default=None, description="Any of these results.")
    org_unit_id: strawberry.ID | None = strawberry.field(
        default=None, description="A dealer or region: revisits at or below it."
    )
    assignee_id: strawberry.ID | None = strawberry.field(default=None, description="Whose call.")
    due_today: bool = strawberry.field(
        default=False, description="Open and due by the end of today (the tenant's timezone)."
    )
    overdue: bool = strawberry.field(default=False, description="Open and past its due time.")


RevisitsResult = Annotated[
    RevisitConnection | ValidationError,
    strawberry.union("RevisitsResult", description="A page of revisits, or why not."),
]
RevisitResult = Annotated[
    Revisit | NotFound, strawberry.union("RevisitResult", description="The revisit, or NotFound.")
]


@strawberry.type(description="One result type's count.")
class RevisitResultCount:
    result: str = strawberry.field(description="The result type code.")
    revisits: int = strawberry.field(description="Revisits finished with it.")


@strawberry.type(description="A dealer's revisits opened in the period.")
class DealerRevisitStatistics:
    dealer: OrgUnit = strawberry.field(description="The dealer.")
    revisits: int = strawberry.field(description="Revisits opened (cancelled ones left out).")
    finished: int = strawberry.field(description="Completed or ended unsuccessful.")
    successful: int = strawberry.field(description="Completed with the customer's verdict.")
    completion_rate: float | None = strawberry.field(description="finished / revisits.")
    success_rate: float | None = strawberry.field(description="successful / finished.")
    results: list[RevisitResultCount] = strawberry.field(description="The results' distribution.")


@strawberry.type(description="The statistics, per dealer.")
class RevisitStatistics:
    dealers: list[DealerRevisitStatistics] = strawberry.field(description="Dealers you may read.")


RevisitStatisticsResult = Annotated[
    RevisitStatistics | ValidationError,
    strawberry.union("RevisitStatisticsResult", description="Per dealer, or why not."),
]


@strawberry.type
class RevisitQuery:
    @strawberry.field(
        description="Revisits you may read (revisit.read: a dealer's, or a region's), oldest "
        "first; at most 100 a page."
    )
    async def revisits(
        self,
        info: Info,
        filter: Annotated[
            RevisitFilter | None, strawberry.argument(description="Only revisits matching it.")
        ] = None,
        first: PageSize = 20,
        after: Cursor = None,
    ) -> RevisitsResult:
        f = filter or RevisitFilter()
        where = revisits.RevisitFilter(
            states=[s.value for s in f.states] if f.states else None,
            results=f.results,
            org_unit_id=key("OrgUnit", f.org_unit_id) if f.org_unit_id is not None else None,
            assignee_id=key("User", f.assignee_id) if f.assignee_id is not None else None,
            due_today=f.due_today,
            overdue=f.overdue,
        )

        async def run() -> RevisitConnection:
            position = cursors.decode("revisit", after)
            last = position[0] if position else None
            page = await revisits.list_revisits(info.context.caller, where, first, last)
            nodes = [Revisit(row=r, ctx=info.context) for r in page.revisits]
            end = cursors.encode("revisit", page.revisits[-1].id) if page.revisits else None
            return RevisitConnection(
                nodes=nodes, page_info=PageInfo(has_next_page=page.has_next, end_cursor=end)
            )

        return await answer(run, ValidationError)

    @strawberry.field(description="One revisit; NotFound when it is none you may read.")
    async def revisit(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Its id.")]
    ) -> RevisitResult:
        async def run() -> Revisit:
            row = await revisits.get_revisit(info.context.caller, key("Revisit", id))
            return Revisit(row=row, ctx=info.context)

        return await answer(run, NotFound, sent_id=id)

    @strawberry.field(
        description="Per dealer you may read: completion rate, success rate and the results' "
        "distribution of the revisits opened in [from, to)."
    )
    async def revisit_statistics(
        self,
        info: Info,
        from_: Annotated[
            datetime, strawberry.argument(name="from", description="Opened at or after.")
        ],
        to: Annotated[datetime, strawberry.argument(description="Opened before.")],
    ) -> RevisitStatisticsResult:
        async def run() -> RevisitStatistics:
            found = await revisits.statistics(info.context.caller, from_, to)
            units = info.context.caller.tenant.units
            return RevisitStatistics(dealers=[_dealer(s, units[s.org_unit_id]) for s in found])

        return await answer(run, ValidationError)


def _dealer(s: revisits.DealerStatistics, unit: Any) -> DealerRevisitStatistics:
    return DealerRevisitStatistics(
        dealer=OrgUnit(row=unit),
        revisits=s.revisits,
        finished=s.finished,
        successful=s.successful,
        completion_rate=s.completion_rate,
        success_rate=s.success_rate,
        results=[RevisitResultCount(result=k, revisits=v) for k, v in s.results.items()],
    )


@strawberry.input(description="One attempt to reach the customer for a revisit.")
class LogRevisitAttemptInput:
    id: strawberry.ID = strawberry.field(description="The revisit.")
    outcome: RevisitOutcome = strawberry.field(description="How it ended.")
    channel: str | None = strawberry.field(
        default=None,
        description="phone (default), email, letter or visit, where the profile allows.",
    )
    script: str | None = strawberry.field(default=None, description="The script or question set.")
    notes: str | None = strawberry.field(default=None, description="What was said.")
    call_back_at: datetime | None = strawberry.field(
        default=None, description="For CALL_BACK: when; the revisit falls due then. Not a failure."
    )


@strawberry.input(description="One answer to a question of the profile's question set.")
class RevisitAnswerInput:
    question: str = strawberry.field(description="The question's code.")
    answer: str = strawberry.field(description="One of its options.")


@strawberry.input(description="The customer's verdict on a revisit.")
class RecordRevisitResultInput:
    id: strawberry.ID = strawberry.field(description="The revisit.")
    result: str = strawberry.field(description="A result type code of the profile.")
    words: str | None = strawberry.field(
        default=None, description="The customer's own words; required where the profile says so."
    )
    answers: list[RevisitAnswerInput] = strawberry.field(
        default_factory=list, description="Answers to the profile's questions."
    )


@strawberry.type(description="The revisit after the change.")
class RevisitPayload:
    revisit: Revisit = strawberry.field(description="The revisit as it is now.")


RevisitChangeResult = Annotated[
    RevisitPayload | ValidationError | NotPermitted | NotFound | Conflict | TransitionNotAllowed,
    strawberry.union("RevisitChangeResult", description="The revisit, or why nothing changed."),
]


@strawberry.type
class RevisitMutation:
    @strawberry.mutation(
        description="Log a revisit attempt: needs revisit.perform. The profile's maximum of "
        "failed attempts, or a refusal, ends the revisit unsuccessful."
    )
    async def log_revisit_attempt(
        self,
        info: Info,
        input: Annotated[LogRevisitAttemptInput, strawberry.argument(description="The attempt.")],
    ) -> RevisitChangeResult:
        async def run() -> RevisitPayload:
            attempt = revisits.Attempt(
                outcome=domain.Outcome(input.outcome.value),
                channel=input.channel,
                script=input.script,
                notes=input.notes,
                call_back_at=input.call_back_at,
            )
            row = await revisits.log_attempt(info.context.caller, key("Revisit", input.id), attempt)
            info.context.loaders.forget()
            return RevisitPayload(revisit=Revisit(row=row, ctx=info.context))

        return await answer_change(run, sent_id=input.id)

    @strawberry.mutation(
        description="Record the customer's verdict: needs revisit.perform. The result type's "
        "action (reopen, follow-up complaint, hand-over) runs in the same transaction."
    )
    async def record_revisit_result(
        self,
        info: Info,
        input: Annotated[RecordRevisitResultInput, strawberry.argument(description="The result.")],
    ) -> RevisitChangeResult:
        async def run() -> RevisitPayload:
            result = revisit_results.Result(
                result=input.result,
                words=input.words,
                answers=[(a.question, a.answer) for a in input.answers],
            )
            caller = info.context.caller
            row = await revisit_results.record_result(caller, key("Revisit", input.id), result)
            info.context.loaders.forget()
            return RevisitPayload(revisit=Revisit(row=row, ctx=info.context))

        return await answer_change(run, sent_id=input.id)
