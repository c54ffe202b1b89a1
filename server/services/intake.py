"""What a call-centre operator sends to register a complaint, and its checks: every field validated
and normalised, every problem reported at once, before registerComplaint touches the database; and
the grade the profile's rules propose for an intake."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime

from server.domain import bounds
from server.domain.errors import FieldProblem, InvalidInputError
from server.domain.grading import Proposal
from server.domain.identifiers import normalise_phone, normalise_vin
from server.domain.text import text_problem
from server.profiles import Profile
from server.services.caller import Caller


@dataclass
class CustomerInput:
    name: str
    phones: list[str]
    address: str | None = None
    postcode: str | None = None


@dataclass
class VehicleInput:
    vin: str
    engine_number: str | None = None
    plate: str | None = None
    model: str | None = None
    purchase_date: date | None = None
    mileage_km: int | None = None


@dataclass
class Registration:
    dealer_id: int
    customer: CustomerInput
    channel: str
    category: str
    summary: str
    details: str
    vehicle: VehicleInput | None = None
    grade: str | None = None
    received_at: datetime | None = None
    demands: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    grade_override_reason: str | None = (
        None  # required when `grade` differs from what the rules propose
    )
    repeat_of_id: int | None = (
        None  # the operator links this complaint to an earlier order on the issue
    )
    involved_staff_ids: list[int] = field(
        default_factory=list
    )  # named in the complaint: never its handlers


@dataclass
class Checked:
    """A registration whose every field has been validated and normalised."""

    phones: list[str]
    vin: str | None
    grade: str | None
    received_at: datetime
    proposed_grade: str | None


def check(caller: Caller, reg: Registration, now: datetime) -> Checked:
    problems: list[FieldProblem] = []
    profile = caller.profile
    phones = _phones(reg.customer.phones, problems)
    vin = None
    if reg.vehicle is not None:
        try:
            vin = normalise_vin(reg.vehicle.vin)
        except ValueError as exc:
            problems.append(FieldProblem(("vehicle", "vin"), str(exc)))
        if problem := bounds.range_problem(reg.vehicle.mileage_km or 0, 0, bounds.MILEAGE_KM_MAX):
            problems.append(FieldProblem(("vehicle", "mileageKm"), problem))
    _texts(reg, problems)
    _code("channel", reg.channel, profile.channels, problems)
    _intake_codes(profile, reg.category, reg.flags, reg.demands, problems)
    category = profile.categories.get(reg.category)
    if category is not None and not category.routing:
        problems.append(
            FieldProblem(
                ("category",), f"category '{reg.category}' is reached by regrading, not at intake"
            )
        )
    proposal = (
        profile.propose_grade(reg.category, reg.flags, reg.demands)
        if category and not problems
        else None
    )
    grade = reg.grade or (proposal.grade if proposal else None)
    if reg.grade is not None:
        _code("grade", reg.grade, profile.grades, problems)
    if (
        proposal
        and reg.grade not in (None, proposal.grade)
        and text_problem(reg.grade_override_reason, required=True)
    ):
        problems.append(
            FieldProblem(
                ("gradeOverrideReason",),
                f"the rules propose grade {proposal.grade}: give the reason for {reg.grade}",
            )
        )
    received_at = _received_at(reg.received_at, now, problems)
    if problems:
        raise InvalidInputError(problems)
    return Checked(phones, vin, grade, received_at, proposal.grade if proposal else None)


def propose_grade(caller: Caller, category: str, flags: list[str], demands: list[str]) -> Proposal:
    """What the profile's grading rules propose for an intake, before it is registered; a code the
    profile does not know is refused naming its field, as registering would refuse it."""
    problems: list[FieldProblem] = []
    _intake_codes(caller.profile, category, flags, demands, problems)
    if problems:
        raise InvalidInputError(problems)
    return caller.profile.propose_grade(category, flags, demands)


def _intake_codes(
    profile: Profile,
    category: str,
    flags: list[str],
    demands: list[str],
    problems: list[FieldProblem],
) -> None:
    _code("category", category, profile.categories, problems)
    for i, demand in enumerate(demands):
        _code(f"demands[{i}]", demand, profile.demands, problems)
    for i, flag in enumerate(flags):
        _code(f"flags[{i}]", flag, profile.flags, problems)


def _phones(raw: list[str], problems: list[FieldProblem]) -> list[str]:
    if not raw:
        problems.append(FieldProblem(("customer", "phones"), "give at least one phone number"))
    if len(raw) > bounds.PHONES_PER_CUSTOMER:
        limit = bounds.PHONES_PER_CUSTOMER
        problems.append(FieldProblem(("customer", "phones"), f"give at most {limit} phone numbers"))
        return []
    phones = []
    for i, value in enumerate(raw):
        try:
            phones.append(normalise_phone(value))
        except ValueError as exc:
            problems.append(FieldProblem(("customer", f"phones[{i}]"), str(exc)))
    return list(dict.fromkeys(phones))


def _texts(reg: Registration, problems: list[FieldProblem]) -> None:
    """Every text of the registration against its column's bound; the short ones are one line."""
    vehicle = reg.vehicle or VehicleInput(vin="")
    fields = {
        ("summary",): (reg.summary, True, bounds.SUMMARY, False),
        ("details",): (reg.details, True, bounds.TEXT, False),
        ("customer", "name"): (reg.customer.name, True, bounds.NAME, True),
        ("customer", "address"): (reg.customer.address, False, bounds.ADDRESS, False),
        ("customer", "postcode"): (reg.customer.postcode, False, bounds.POSTCODE, True),
        ("vehicle", "engineNumber"): (vehicle.engine_number, False, bounds.ENGINE_NUMBER, True),
        ("vehicle", "plate"): (vehicle.plate, False, bounds.PLATE, True),
        ("vehicle", "model"): (vehicle.model, False, bounds.MODEL, True),
    }
    for path, (value, required, limit, one_line) in fields.items():
        if problem := text_problem(value, required=required, limit=limit, one_line=one_line):
            problems.append(FieldProblem(path, problem))


def _code(name: str, value: str, known: Collection[str], problems: list[FieldProblem]) -> None:
    if value not in known:
        options = ", ".join(sorted(known))
        problems.append(
            FieldProblem(
                (name,), f"unknown {name.split('[')[0].rstrip('s')} '{value}' (known: {options})"
            )
        )


def _received_at(value: datetime | None, now: datetime, problems: list[FieldProblem]) -> datetime:
    if value is None:
        return now
    if problem := bounds.past_instant_problem(value, now):
        problems.append(FieldProblem(("receivedAt",), problem))
        return now
    return value
