"""Mutations: one input object each, answered with a union of the payload and the typed errors it
can meet."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import strawberry

from schema.context import Info
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
from schema.types import ContactAttempt, ContactOutcome, WorkOrder
from server.services import assignment, contacts, intake, registration, transfers, transitions


@strawberry.type(description="The order after the change.")
class WorkOrderPayload:
    order: WorkOrder = strawberry.field(
        description="The order as it is now; its version is the next expectedVersion."
    )


@strawberry.type(description="The attempt logged and the order after it.")
class ContactAttemptPayload:
    attempt: ContactAttempt = strawberry.field(description="The attempt as recorded.")
    order: WorkOrder = strawberry.field(description="The order as it is now.")


RegisterComplaintResult = Annotated[
    WorkOrderPayload | ValidationError | NotPermitted,
    strawberry.union(
        "RegisterComplaintResult", description="The registered order, or why it was refused."
    ),
]
ChangeResult = Annotated[
    WorkOrderPayload | ValidationError | NotPermitted | NotFound | Conflict | TransitionNotAllowed,
    strawberry.union(
        "WorkOrderChangeResult", description="The changed order, or why nothing changed."
    ),
]
ContactResult = Annotated[
    ContactAttemptPayload
    | ValidationError
    | NotPermitted
    | NotFound
    | Conflict
    | TransitionNotAllowed,
    strawberry.union(
        "LogContactAttemptResult", description="The logged attempt, or why nothing was written."
    ),
]


@strawberry.input(
    description="The customer; found by any of the phones, created when none is known."
)
class CustomerInput:
    name: str = strawberry.field(description="Name as the customer gives it.")
    phones: list[str] = strawberry.field(
        description="At least one phone number; normalised to E.164."
    )
    address: str | None = strawberry.field(default=None, description="Postal address.")
    postcode: str | None = strawberry.field(default=None, description="Postcode.")


@strawberry.input(description="The vehicle; found by VIN, created when unknown.")
class VehicleInput:
    vin: str = strawberry.field(description="17-character VIN; the check digit is verified.")
    engine_number: str | None = strawberry.field(default=None, description="Engine number.")
    plate: str | None = strawberry.field(default=None, description="Licence plate.")
    model: str | None = strawberry.field(default=None, description="Model.")
    purchase_date: date | None = strawberry.field(default=None, description="Purchase date.")
    mileage_km: int | None = strawberry.field(default=None, description="Mileage in km.")


@strawberry.input(description="A new complaint or consultation.")
class RegisterComplaintInput:
    dealer_id: strawberry.ID = strawberry.field(
        description="The dealer concerned; the order lives there."
    )
    customer: CustomerInput = strawberry.field(description="Who complains.")
    vehicle: VehicleInput | None = strawberry.field(
        default=None, description="Their vehicle, when known."
    )
    channel: str = strawberry.field(description="Intake channel code (see catalogue).")
    category: str = strawberry.field(description="Category code (see catalogue).")
    grade: str | None = strawberry.field(
        default=None,
        description=(
            "Grade; defaults to what the profile's grading rules propose (see gradeProposal)."
        ),
    )
    grade_override_reason: str | None = strawberry.field(
        default=None,
        description="Required when grade differs from the proposal; kept in the history.",
    )
    received_at: datetime | None = strawberry.field(
        default=None,
        description=(
            "When the complaint reached the brand or dealer; defaults to now, never in the future."
        ),
    )
    summary: str = strawberry.field(description="One line, at most 500 characters.")
    details: str = strawberry.field(
        description="The complaint in the customer's own words, at most 10,000 characters."
    )
    demands: list[str] = strawberry.field(default_factory=list, description="Demand codes.")
    flags: list[str] = strawberry.field(default_factory=list, description="Flag codes.")
    repeat_of_id: strawberry.ID | None = strawberry.field(
        default=None,
        description=(
            "Link to an earlier order on the same issue (see possibleDuplicates); "
            "found automatically otherwise."
        ),
    )
    involved_staff_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Staff the customer names as involved: they can never handle this order.",
    )


@strawberry.input(description="Name the handlers of an order.")
class AssignWorkOrderInput:
    id: strawberry.ID = strawberry.field(description="The order.")
    expected_version: int = strawberry.field(description="The version you read.")
    primary_handler_id: strawberry.ID = strawberry.field(description="The handler in charge.")
    secondary_handler_id: strawberry.ID | None = strawberry.field(
        default=None, description="The deputy."
    )


@strawberry.input(
    description=(
        "The transfer block of a step that names its target (e.g. forward): the store, the "
        "authority (e.g. sales_manager) and the person in charge, as the tenant's profile lists."
    )
)
class TransferInput:
    store_id: strawberry.ID = strawberry.field(description="The store (dealer) of the order.")
    authority: str = strawberry.field(
        description="The authority code: the department and role the order goes to."
    )
    person_in_charge_id: strawberry.ID = strawberry.field(
        description="Who takes it: holds the authority's role at that department of the store."
    )
    memo: str | None = strawberry.field(default=None, description="The memo (备忘) for them.")


@strawberry.input(description="Take a workflow step.")
class TransitionWorkOrderInput:
    id: strawberry.ID = strawberry.field(description="The order.")
    expected_version: int = strawberry.field(description="The version you read.")
    transition: str = strawberry.field(
        description="The step, one of the order's availableTransitions."
    )
    comment: str | None = strawberry.field(
        default=None, description="Why; required by some steps (e.g. suspend)."
    )
    transfer: TransferInput | None = strawberry.field(
        default=None,
        description="The target, required by a step with a transfer block and refused by others.",
    )


@strawberry.input(description="Record a call or message to the customer.")
class LogContactAttemptInput:
    id: strawberry.ID = strawberry.field(description="The order.")
    expected_version: int = strawberry.field(description="The version you read.")
    outcome: ContactOutcome = strawberry.field(description="Reached, unreachable or refused.")
    note: str | None = strawberry.field(default=None, description="What was said or agreed.")


@strawberry.input(
    description="Record the resolution and close the order (the profile's resolving step)."
)
class CloseWorkOrderInput:
    id: strawberry.ID = strawberry.field(description="The order.")
    expected_version: int = strawberry.field(description="The version you read.")
    resolution: str = strawberry.field(description="What was done and agreed with the customer.")
    measures: str | None = strawberry.field(default=None, description="Measures taken.")
    root_cause: str | None = strawberry.field(default=None, description="Root-cause analysis.")
    customer_feedback: str | None = strawberry.field(
        default=None, description="The customer's feedback on the measures."
    )


def _transfer(given: TransferInput | None) -> transfers.Target | None:
    if given is None:
        return None
    return transfers.Target(
        store_id=key("OrgUnit", given.store_id),
        authority=given.authority,
        person_in_charge_id=key("User", given.person_in_charge_id),
        memo=given.memo,
    )


def payload(info: Info, row: Any) -> WorkOrderPayload:
    info.context.loaders.forget()
    return WorkOrderPayload(order=WorkOrder(row=row, ctx=info.context))


def registered_payload(info: Info, done: registration.Registered) -> WorkOrderPayload:
    """The payload, with the loaders primed from the rows the registration has just written or
    read."""
    result = payload(info, done.order)
    loaders = info.context.loaders
    loaders.org_unit_by_id.prime(done.dealer.id, done.dealer)
    if done.vehicle is not None:
        loaders.vehicle_by_id.prime(done.vehicle.id, done.vehicle)
    if done.customer is not None:
        loaders.customer_by_id.prime(done.customer.id, done.customer)
        loaders.phones_by_customer.prime(done.customer.id, done.phones)
    return result


@strawberry.type(
    description=(
        "What you can change; each mutation is one transaction, "
        "answered with the result or typed errors."
    )
)
class Mutation:
    @strawberry.mutation(
        description="Register a complaint: needs workorder.register at the dealer."
    )
    async def register_complaint(
        self,
        info: Info,
        input: Annotated[
            RegisterComplaintInput, strawberry.argument(description="The complaint to register.")
        ],
    ) -> RegisterComplaintResult:
        async def run() -> WorkOrderPayload:
            reg = intake.Registration(
                dealer_id=key("OrgUnit", input.dealer_id),
                customer=intake.CustomerInput(
                    name=input.customer.name,
                    phones=input.customer.phones,
                    address=input.customer.address,
                    postcode=input.customer.postcode,
                ),
                vehicle=intake.VehicleInput(**vars(input.vehicle)) if input.vehicle else None,
                channel=input.channel,
                category=input.category,
                grade=input.grade,
                grade_override_reason=input.grade_override_reason,
                received_at=input.received_at,
                summary=input.summary,
                details=input.details,
                demands=input.demands,
                flags=input.flags,
                repeat_of_id=key("WorkOrder", input.repeat_of_id) if input.repeat_of_id else None,
                involved_staff_ids=[key("User", u) for u in input.involved_staff_ids],
            )
            return registered_payload(
                info, await registration.register_complaint(info.context.caller, reg)
            )

        return await answer(run, ValidationError, NotPermitted)

    @strawberry.mutation(
        description="Name the primary and secondary handler: needs workorder.assign."
    )
    async def assign_work_order(
        self,
        info: Info,
        input: Annotated[
            AssignWorkOrderInput, strawberry.argument(description="The order and its handlers.")
        ],
    ) -> ChangeResult:
        async def run() -> WorkOrderPayload:
            order = key("WorkOrder", input.id)
            primary = key("User", input.primary_handler_id)
            secondary = input.secondary_handler_id
            secondary_key = key("User", secondary) if secondary else None
            caller, version = info.context.caller, input.expected_version
            row = await assignment.assign(caller, order, primary, secondary_key, version)
            return payload(info, row)

        return await answer_change(run, sent_id=input.id)

    @strawberry.mutation(
        description=(
            "Take a workflow step; the permission it needs comes from the tenant's workflow."
        )
    )
    async def transition_work_order(
        self,
        info: Info,
        input: Annotated[
            TransitionWorkOrderInput,
            strawberry.argument(description="The order and the step to take."),
        ],
    ) -> ChangeResult:
        async def run() -> WorkOrderPayload:
            order = key("WorkOrder", input.id)
            row = await transitions.transition(
                info.context.caller,
                order,
                input.transition,
                input.expected_version,
                input.comment,
                transfer=_transfer(input.transfer),
            )
            return payload(info, row)

        return await answer_change(run, sent_id=input.id)

    @strawberry.mutation(
        description=(
            "Log a contact attempt: needs workorder.contact. "
            "The first reached contact is the response."
        )
    )
    async def log_contact_attempt(
        self,
        info: Info,
        input: Annotated[
            LogContactAttemptInput, strawberry.argument(description="The order and the attempt.")
        ],
    ) -> ContactResult:
        async def run() -> ContactAttemptPayload:
            caller = info.context.caller
            order = key("WorkOrder", input.id)
            attempt, row = await contacts.log_contact(
                caller, order, input.outcome.value, input.note, input.expected_version
            )
            return ContactAttemptPayload(
                attempt=ContactAttempt(row=attempt, ctx=info.context),
                order=payload(info, row).order,
            )

        return await answer_change(run, sent_id=input.id)

    @strawberry.mutation(
        description=(
            "Record the resolution and take the resolving step: "
            "needs its permission (workorder.close)."
        )
    )
    async def close_work_order(
        self,
        info: Info,
        input: Annotated[
            CloseWorkOrderInput, strawberry.argument(description="The order and its resolution.")
        ],
    ) -> ChangeResult:
        async def run() -> WorkOrderPayload:
            result = transitions.Resolution(
                input.resolution, input.measures, input.root_cause, input.customer_feedback
            )
            order = key("WorkOrder", input.id)
            row = await transitions.close(
                info.context.caller, order, result, input.expected_version
            )
            return payload(info, row)

        return await answer_change(run, sent_id=input.id)
