"""recordRevisitResult: the customer's verdict on a revisit, and its action in the same
transaction: reopen the order with the customer's words in its history, open a follow-up
complaint linked both ways (a repeat: the order was not resolved the first time), or hand the
matter to the responsible person (not a formal complaint)."""

from __future__ import annotations

from dataclasses import dataclass, field

from server.db.models import Revisit, WorkOrder
from server.domain import revisit as rules
from server.domain.errors import FieldProblem, InvalidInputError
from server.domain.escalation import route
from server.domain.revisit import Action, RevisitRule, RevisitState
from server.domain.text import text_problem
from server.services import clocks, escalation, history, outbox, repeats, transitions
from server.services.caller import Caller
from server.services.changes import Change
from server.services.numbering import next_number
from server.services.revisits import check_open, finish, revisit_change


@dataclass
class Result:
    result: str  # a result type code of the profile
    words: str | None = None  # the customer's verbatim words
    answers: list[tuple[str, str]] = field(default_factory=list)  # (question, answer)


async def record_result(caller: Caller, revisit_id: int, result: Result) -> Revisit:
    async with revisit_change(caller, revisit_id) as (change, revisit, rule):
        found = caller.tenant.profile_of(change.order).revisit_rules
        assert found is not None  # revisit_change found the revisit's rule in them
        kind = _check_result(found, result, rule)
        check_open(revisit)
        revisit.result, revisit.words = kind.code, result.words
        revisit.answers = _ordered(found, result.answers)
        state = RevisitState.COMPLETED if kind.successful else RevisitState.UNSUCCESSFUL
        await finish(change, revisit, state, successful=kind.successful)
        data = {"revisit": revisit.id, "result": kind.code, "action": kind.action.value}
        await change.record("revisit_result", comment=result.words, data=data)
        await _act(change, revisit, kind.action, result.words)
    return revisit


def _check_result(found: rules.RevisitRules, result: Result, rule: RevisitRule) -> rules.ResultType:
    problems = []
    kind = found.results.get(result.result)
    if kind is None:
        message = f"unknown result '{result.result}' (known: {', '.join(found.results)})"
        problems.append(FieldProblem(("result",), message))
    if problem := text_problem(result.words, required=rule.requires_words):
        problems.append(FieldProblem(("words",), problem))
    seen: set[str] = set()
    for i, (question, answer) in enumerate(result.answers):
        if question in seen:
            problems.append(FieldProblem(("answers", str(i)), f"'{question}' is answered twice"))
        seen.add(question)
        for _, message in rules.answers_problems(found.questions, {question: answer}):
            problems.append(FieldProblem(("answers", str(i)), message))
    if problems or kind is None:
        raise InvalidInputError(problems)
    return kind


def _ordered(found: rules.RevisitRules, answers: list[tuple[str, str]]) -> list[dict[str, str]]:
    """The answers in the order the profile asks its questions."""
    given = dict(answers)
    return [
        {"question": q.code, "answer": given[q.code]} for q in found.questions if q.code in given
    ]


async def _act(change: Change, revisit: Revisit, action: Action, words: str | None) -> None:
    """The result's action, in the transaction that records the result."""
    if action is Action.REOPEN:
        await _reopen(change, words)
    elif action is Action.FOLLOW_UP:
        revisit.follow_up_order_id = await _follow_up(change, revisit, words)
    elif action is Action.RESPONSIBLE_PERSON:
        await _hand_over(change, revisit, words)


async def _reopen(change: Change, words: str | None) -> None:
    """Back into complaint handling through the profile's reopen step, the customer's words as
    its comment; the result's rule, not the care specialist's own grants, decides it."""
    profile = change.caller.tenant.profile_of(change.order)
    found = profile.revisit_rules
    assert found is not None and found.reopen_with is not None  # the profile checks both
    step = profile.workflow.fire(change.order.state, found.reopen_with, words)
    await transitions.advance(change, step, words)


async def _follow_up(change: Change, revisit: Revisit, words: str | None) -> int:
    """A new complaint on the same issue, linked both ways: it repeats the order (which is then
    not resolved the first time) and is routed as the category routes a repeat. It continues
    under the prior order's profile version: a later version may have dropped its category, and
    an admin's migration moves both (docs/architecture.md, "profile versions")."""
    caller, session, prior, now = change.caller, change.session, change.order, change.now
    profile = caller.tenant.profile_of(prior)
    number = prior.repeat_number + 1
    routing = route(profile.categories[prior.category].routing, number)
    repeat = repeats.Repeat(prior, number, routing)
    summary = f"回访不满意 / dissatisfied at the revisit of {prior.number}"
    order = WorkOrder(
        org_unit_id=prior.org_unit_id, org_path=prior.org_path, customer_id=prior.customer_id,
        vehicle_id=prior.vehicle_id, profile_version=profile.version, channel=prior.channel,
        order_type=prior.order_type, category=prior.category, grade=prior.grade, tier=prior.tier,
        state=profile.workflow.initial, received_at=now, registered_at=now, updated_at=now,
        registered_by_id=caller.user_id, summary=summary, details=words or summary, demands=[],
        flags=[], involved_staff=list(prior.involved_staff), repeat_of_id=prior.id,
        repeat_number=number,
    )  # fmt: skip
    moved = repeats.route_up(caller, order, repeat, now)
    order.number = await next_number(session, profile.number_prefix, profile.timezone, now)
    started = clocks.start_new(caller.tenant, order, now)
    session.add(order)
    await session.flush()
    for clock in started:
        clock.work_order_id = order.id
    session.add_all(started)
    await repeats.link(session, caller, order, repeat, now)
    link = {"revisit": revisit.id, "repeat_of": prior.number, "clocks": [c.name for c in started]}
    await history.record(
        session, order, caller.user_id, now, "registered", to_state=order.state, data=link
    )
    await escalation.record(session, caller.tenant, [moved], now)
    data = {"revisit": revisit.id, "follow_up": order.number}
    await change.record("revisit_follow_up", comment=words, data=data)
    return order.id


async def _hand_over(change: Change, revisit: Revisit, words: str | None) -> None:
    """Not a formal complaint; the responsible person (the order's handlers) takes it up
    without the complaint procedure, and is told so."""
    order, session = change.order, change.session
    data = {"revisit": revisit.id}
    await change.record("revisit_handed_over", comment=words, data=data)
    message = outbox.Message(
        key=f"revisit:{revisit.id}:handed_over",
        topic="revisit.handed_over",
        subject=f"【回访问题跟踪】工单 {order.number} / revisit issue for order {order.number}",
        body={"order": order.number, "words": words},
    )
    who = ("primary_handler", "secondary_handler")
    recipients = await outbox.recipients(session, change.caller.tenant.book, order, who)
    await outbox.put(session, message, recipients, change.now)
