"""A step's transfer block (handling.yaml `transfers`): the store, the authority (e.g. the sales
or the after-sales manager) and the person in charge a step such as `forward` names. Validated
against the profile; the order then lies at that department of its store, so a grant at the
department covers it (migration 0017), with the person in charge as its handler."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from server.db.models import OrgUnit, RoleAssignment
from server.domain.errors import FieldProblem, InvalidInputError
from server.domain.handling import Authority
from server.domain.text import text_problem
from server.domain.tree import covers
from server.services import outbox, references
from server.services.changes import Change

FIELD = "transfer"


@dataclass(frozen=True)
class Target:
    store_id: int
    authority: str
    person_in_charge_id: int
    memo: str | None = None


def check_memo(target: Target | None) -> None:
    """The memo's bounds, before the database is touched."""
    if target is not None and (problem := text_problem(target.memo, required=False)):
        raise InvalidInputError([FieldProblem((FIELD, "memo"), problem)])


async def route(change: Change, step: str, target: Target | None) -> dict[str, Any] | None:
    """Applies the transfer `step` names, or refuses a missing, unexpected or invalid one with
    every problem at once; returns what the history records of it."""
    order, caller = change.order, change.caller
    authorities = caller.tenant.profile_of(order).handling.transfers.get(step)
    if authorities is None:
        if target is None:
            return None
        raise InvalidInputError([FieldProblem((FIELD,), f"the step '{step}' names no target")])
    if target is None:
        known = ", ".join(authorities)
        message = f"'{step}' must name the store, the authority ({known}) and the person in charge"
        raise InvalidInputError([FieldProblem((FIELD,), message)])
    authority, department = await _checked(change, authorities, target)
    before: dict[str, Any] = {"org_path": order.org_path, "department": order.department}
    before["primary"] = order.primary_handler_id
    order.org_path, order.department = department.path, authority.department
    order.primary_handler_id = target.person_in_charge_id
    await _notify(change, authority, target)
    return {
        "transfer": {
            "authority": authority.code,
            "department": authority.department,
            "person_in_charge": target.person_in_charge_id,
            "memo": target.memo,
            "before": before,
        }
    }


async def _checked(
    change: Change, authorities: Mapping[str, Authority], target: Target
) -> tuple[Authority, OrgUnit]:
    """The authority and the department unit the target names, or every problem with it."""
    order, caller = change.order, change.caller
    problems: list[FieldProblem] = []
    store = await references.find(change.session, caller, references.DEALER, target.store_id)
    if store is None:
        problems.append(references.unknown(references.DEALER, (FIELD, "storeId")))
    elif store.id != order.org_unit_id:
        message = f"the order belongs to {caller.tenant.units[order.org_unit_id].name}"
        problems.append(FieldProblem((FIELD, "storeId"), f"{message}: a transfer stays in it"))
        store = None
    authority = authorities.get(target.authority)
    department = None
    if authority is None:
        known = ", ".join(authorities)
        message = f"unknown authority '{target.authority}' (authorities: {known})"
        problems.append(FieldProblem((FIELD, "authority"), message))
    elif store is not None:
        department = _department(change, store.id, authority)
        if department is None:
            message = (
                f"{store.name} has no {authority.label.zh} department ({authority.department})"
            )
            problems.append(FieldProblem((FIELD, "authority"), message))
    if authority is None or department is None:
        raise InvalidInputError(problems)
    person = target.person_in_charge_id
    if problem := await _person_problem(change, person, authority, department):
        problems.append(problem)
    if problems:
        raise InvalidInputError(problems)
    return authority, department


def _department(change: Change, store_id: int, authority: Authority) -> OrgUnit | None:
    units = change.caller.tenant.units.values()
    return next(
        (
            u
            for u in units
            if u.parent_id == store_id and u.kind == "department" and u.code == authority.department
        ),
        None,
    )


async def _person_problem(
    change: Change, user_id: int, authority: Authority, department: OrgUnit
) -> FieldProblem | None:
    """The person in charge must hold the authority's role at the department (or above it in the
    store), be active, and not be named in the complaint."""
    field = (FIELD, "personInChargeId")
    session, order = change.session, change.order
    user = await references.find(session, change.caller, references.USER, user_id)
    if user is None:
        return references.unknown(references.USER, field)
    if not user.active:
        return FieldProblem(field, f"{user.display_name} is no longer active")
    if user_id in order.involved_staff:
        return FieldProblem(field, f"{user.display_name} is named in this complaint")
    paths = await session.scalars(
        select(RoleAssignment.org_path).where(
            RoleAssignment.user_id == user_id, RoleAssignment.role == authority.role
        )
    )
    store = change.caller.tenant.units[order.org_unit_id].path
    if any(covers(path, department.path) and covers(store, path) for path in paths):
        return None
    where = f"{authority.label.zh} / {authority.label.en}"
    return FieldProblem(field, f"{user.display_name} is not the {where} of this store")


async def _notify(change: Change, authority: Authority, target: Target) -> None:
    """The person in charge hears of it at once (the source has the reviewer phone them too)."""
    order = change.order
    message = outbox.Message(
        key=f"transferred:{order.id}:v{order.version}",
        topic="workorder.transferred",
        subject=(
            f"【转交对应】{order.number} 请{authority.label.zh}对应 / "
            f"order {order.number}: over to you as {authority.label.en}"
        ),
        body={"order": order.number, "authority": authority.code, "memo": target.memo},
    )
    await outbox.put(change.session, message, {target.person_in_charge_id}, change.now)
