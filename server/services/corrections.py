"""correctWorkOrder: the reviewer checks and corrects what the operator entered (summary, details,
flags, demands, category) before the order goes on, with the reason and what was there before
in the history. The grade is changed by regradeWorkOrder; the correction records the grade the
rules would now propose, so the reviewer sees whether to regrade."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.db.models import WorkOrder
from server.domain import bounds
from server.domain.errors import FieldProblem, InvalidInputError, TransitionNotAllowedError
from server.domain.text import text_problem
from server.profiles import Profile
from server.services import clocks
from server.services.caller import Caller
from server.services.changes import changing

PERMISSION = "workorder.review"


@dataclass
class Correction:
    reason: str
    summary: str | None = None
    details: str | None = None
    category: str | None = None
    flags: list[str] | None = None  # None: unchanged; a list replaces the order's flags
    demands: list[str] | None = None

    def given(self) -> dict[str, Any]:
        """The fields to correct, normalised as registration normalises them."""
        values: dict[str, Any] = {
            "summary": self.summary.strip() if self.summary is not None else None,
            "details": self.details,
            "category": self.category,
            "flags": list(dict.fromkeys(self.flags)) if self.flags is not None else None,
            "demands": list(dict.fromkeys(self.demands)) if self.demands is not None else None,
        }
        return {name: value for name, value in values.items() if value is not None}


async def correct(
    caller: Caller, order_id: int, correction: Correction, expected_version: int
) -> WorkOrder:
    _check_texts(correction)
    async with changing(caller, order_id, expected_version) as change:
        order = change.order
        caller.authz.require(PERMISSION, order.org_path)
        profile = caller.tenant.profile_of(order)
        _check_codes(profile, order, correction)
        if caller.tenant.state_of(order).final:
            raise TransitionNotAllowedError(
                order.state, "correct", reason="the order is closed: it can no longer be corrected"
            )
        given = correction.given()
        before = {name: getattr(order, name) for name in given}
        changed = {name: value for name, value in given.items() if before[name] != value}
        if not changed:
            raise InvalidInputError([FieldProblem(("id",), "nothing to correct: all as given")])
        for name, value in changed.items():
            setattr(order, name, value)
        if "category" in changed:
            order.order_type = profile.categories[order.category].order_type
        retargeted = await clocks.retarget(change.session, caller.tenant, order)
        proposal = profile.propose_grade(order.category, order.flags, order.demands)
        await change.record(
            "corrected",
            comment=correction.reason,
            data={
                "before": {name: before[name] for name in changed},
                "after": changed,
                "proposed_grade": proposal.grade,
                "clocks": retargeted,
            },
        )
    return change.order


def _check_texts(correction: Correction) -> None:
    """The reason is required; a summary or details given replace the old ones, so they may not
    be empty either."""
    checks = {
        "reason": (correction.reason, bounds.TEXT),
        "summary": (correction.summary, bounds.SUMMARY),
        "details": (correction.details, bounds.TEXT),
    }
    problems = [
        FieldProblem((name,), problem)
        for name, (value, limit) in checks.items()
        if (name == "reason" or value is not None)
        and (problem := text_problem(value, required=True, limit=limit))
    ]
    if problems:
        raise InvalidInputError(problems)


def _check_codes(profile: Profile, order: WorkOrder, correction: Correction) -> None:
    """Codes the order's profile knows; a category of the same nature that is reached at intake."""
    problems: list[FieldProblem] = []
    for name, values, known in (
        ("flags", correction.flags, profile.flags),
        ("demands", correction.demands, profile.demands),
    ):
        for i, value in enumerate(values or []):
            if value not in known:
                listed = ", ".join(known)
                problems.append(
                    FieldProblem((f"{name}[{i}]",), f"unknown code '{value}' ({listed})")
                )
    if correction.category is not None:
        category = profile.categories.get(correction.category)
        nature = profile.order_types[profile.categories[order.category].order_type].nature
        if category is None:
            listed = ", ".join(profile.categories)
            message = f"unknown category '{correction.category}' (known: {listed})"
            problems.append(FieldProblem(("category",), message))
        elif profile.order_types[category.order_type].nature != nature:
            message = f"'{category.code}' is not a {nature} category: register a new order"
            problems.append(FieldProblem(("category",), message))
        elif not category.routing:
            message = f"category '{category.code}' is reached by regrading, not by correction"
            problems.append(FieldProblem(("category",), message))
    if problems:
        raise InvalidInputError(problems)
