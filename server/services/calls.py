"""recordCustomerCall: the customer calls again about an open order. Calls are counted per state,
and the profile's upgrade-warning rules are evaluated in the same transaction, so a call and the
slip it triggers commit together, once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import CustomerCall, WorkOrder
from server.domain.errors import FieldProblem, InvalidInputError, TransitionNotAllowedError
from server.domain.escalation import triggered
from server.domain.text import text_problem
from server.domain.workflow import Meaning
from server.profiles import Profile
from server.services import slips
from server.services.caller import Caller
from server.services.changes import changing
from server.services.tenancy import TenantRuntime


async def record_call(
    caller: Caller,
    order_id: int,
    channel: str,
    words: str,
    flags: list[str],
    demands: list[str],
    expected_version: int | None,
) -> tuple[CustomerCall, WorkOrder]:
    if problem := text_problem(words, required=True):
        raise InvalidInputError([FieldProblem(("words",), problem)])
    async with changing(caller, order_id, expected_version) as change:
        order = change.order
        caller.authz.require("workorder.call", order.org_path)
        # The codes of the order's own version: an unmigrated order keeps its version's flags.
        _check_codes(caller.tenant.profile_of(order), channel, flags, demands)
        state = caller.tenant.state_of(order)
        if state.final:
            raise TransitionNotAllowedError(
                order.state,
                "recordCustomerCall",
                reason="the order is closed: register a new complaint",
            )
        call = CustomerCall(
            work_order_id=order.id,
            at=change.now,
            channel=channel,
            words=words,
            flags=flags,
            state=order.state,
            meaning=state.meaning.value,
            recorded_by_id=caller.user_id,
        )
        change.session.add(call)
        order.flags = list(dict.fromkeys([*order.flags, *flags]))
        order.demands = list(dict.fromkeys([*order.demands, *demands]))
        await change.record(
            "customer_call",
            comment=words,
            data={"channel": channel, "flags": flags, "demands": demands},
        )
        await evaluate(change.session, caller.tenant, order, caller.user_id, change.now, words)
    return call, order


async def evaluate(
    session: AsyncSession,
    tenant: TenantRuntime,
    order: WorkOrder,
    by: int | None,
    now: datetime,
    words: str | None = None,
    counts: dict[Meaning, int] | None = None,
) -> list[str]:
    """Issue a slip for every warning rule that holds now and has none yet; returns their triggers.
    Run on every call and at intake (flags raised then count too). `counts`: the order's calls per
    state's meaning, when the caller knows them (at intake there are none); else they are
    counted."""
    meaning = tenant.state_of(order).meaning
    if counts is None:
        counts = await call_counts(session, order.id)
    issued = []
    for rule in triggered(
        tenant.profile_of(order).warning_rules,
        meaning,
        counts,
        frozenset(order.flags),
        frozenset(order.demands),
    ):
        reason = f"{rule.label.zh} / {rule.label.en}"
        if await slips.issue(session, tenant, order, rule.code, reason, by, now, words):
            issued.append(rule.code)
    return issued


async def call_counts(session: AsyncSession, order_id: int) -> dict[Meaning, int]:
    await session.flush()
    rows = await session.execute(
        select(CustomerCall.meaning, func.count())
        .where(CustomerCall.work_order_id == order_id)
        .group_by(CustomerCall.meaning)
    )
    return {Meaning(meaning): count for meaning, count in rows.all()}


def _check_codes(profile: Profile, channel: str, flags: list[str], demands: list[str]) -> None:
    problems = []
    if channel not in profile.channels:
        problems.append(
            FieldProblem(
                ("channel",), f"unknown channel '{channel}' (known: {', '.join(profile.channels)})"
            )
        )
    problems += [
        FieldProblem((f"flags[{i}]",), f"unknown flag '{f}'")
        for i, f in enumerate(flags)
        if f not in profile.flags
    ]
    problems += [
        FieldProblem((f"demands[{i}]",), f"unknown demand '{d}'")
        for i, d in enumerate(demands)
        if d not in profile.demands
    ]
    if problems:
        raise InvalidInputError(problems)
