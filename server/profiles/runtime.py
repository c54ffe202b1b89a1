"""The runtime profile: frozen dataclasses built from valid documents, which the services read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from server.domain import grading
from server.domain.cadence import CadenceRules
from server.domain.escalation import WarningRule
from server.domain.grading import AlertRule, GradingRule, Proposal
from server.domain.handling import HandlingRules, TrackingRules
from server.domain.kpi import KpiRules
from server.domain.revisit import RevisitRules
from server.domain.workflow import Label, Workflow
from server.profiles.rules import ConditionalDeadline, WrittenReportRule

# Clock events that are not workflow transitions.
EVENTS = ("registered", "first_contact")


@dataclass(frozen=True)
class Channel:
    code: str
    label: Label


@dataclass(frozen=True)
class OrderType:
    code: str
    label: Label
    nature: str  # complaint | consultation
    kind: str  # sales | aftersales


@dataclass(frozen=True)
class Category:
    code: str
    label: Label
    order_type: str
    grade: str | None  # None only for consultation categories: they are not graded
    routing: tuple[str, ...]  # tier for the 1st, 2nd, 3rd complaint; later ones stay with the last


@dataclass(frozen=True)
class Grade:
    code: str
    label: Label
    rank: int  # higher is more severe


@dataclass(frozen=True)
class Tier:
    code: str
    label: Label
    level: str  # dealer | region | brand


Recipient = Literal["primary_handler", "secondary_handler", "managers", "tenant_admins"]
DEFAULT_NOTIFY: tuple[Recipient, ...] = ("primary_handler", "secondary_handler", "managers")


@dataclass(frozen=True)
class Action:
    """What the deadline scan does when a clock falls due soon or is breached."""

    notify: tuple[Recipient, ...] = DEFAULT_NOTIFY
    regrade: str | None = None  # e.g. B -> C when a B order is not closed in 7 working days
    move_to_tier: str | None = None


@dataclass(frozen=True)
class ClockTarget:
    amount: int
    unit: str


@dataclass(frozen=True)
class ClockRule:
    clock: str  # response | closure | a workflow state name (time spent in that step)
    target: int | None  # None: unlimited (the clock runs but never falls due)
    unit: str  # business_minutes | working_days | natural_hours | natural_days
    grades: tuple[str, ...]  # empty: every grade (the same for categories and channels)
    categories: tuple[str, ...]
    channels: tuple[str, ...]
    starts_on: str  # a transition name or one of EVENTS
    stops_on: str
    pauses_on: str | None
    resumes_on: str | None
    on_due_soon: Action = Action()
    on_breach: Action = Action()


@dataclass(frozen=True)
class Profile:
    """A validated tenant profile. Mappings are read-only and keep the documents' order."""

    name: str
    version: str
    title: Label
    number_prefix: str
    timezone: str
    working_hours: tuple[str, ...]
    backdate_limit_hours: int
    language: str
    channels: Mapping[str, Channel]
    order_types: Mapping[str, OrderType]
    categories: Mapping[str, Category]
    grades: Mapping[str, Grade]
    tiers: Mapping[str, Tier]
    workflow: Workflow
    clocks: tuple[ClockRule, ...]
    warn_before_percent: int
    repeat_days: int
    first_time_resolution_days: int
    flags: Mapping[str, Label]
    demands: Mapping[str, Label]
    grading_rules: tuple[GradingRule, ...]  # propose a grade at intake (grading.yaml)
    alerts: tuple[AlertRule, ...]  # notify at registration (grading.yaml)
    warning_rules: tuple[WarningRule, ...]  # upgrade-warning slip triggers (warnings.yaml)
    slip_acknowledgement: ClockTarget | None  # how soon a slip must be acknowledged
    policy_add: tuple[tuple[str, str], ...]
    policy_remove: tuple[tuple[str, str], ...]
    extra_holidays: frozenset[date]
    extra_workdays: frozenset[date]
    portal_origins: frozenset[str]  # browser origins of the tenant's portals (portal.yaml)
    limit_overrides: Mapping[str, Any]  # the tenant's API limits, by Limits field (portal.yaml)
    kpi_rules: KpiRules | None  # KPIs, score, reconciliation and incentives (kpis.yaml)
    revisit_rules: RevisitRules | None  # the callback after handling (revisits.yaml)
    written_reports: tuple[WrittenReportRule, ...]  # owed from registration
    playbooks: Mapping[str, tuple[Label, ...]]  # situation (category) -> ordered steps
    outcomes: Mapping[str, Label]  # how a matter ended (outcomes.yaml)
    outcome_states: tuple[str, ...]  # the states an outcome may be recorded in
    facts: Mapping[str, Label]  # facts recorded on an order (conditional_deadlines.yaml)
    conditional_deadlines: tuple[ConditionalDeadline, ...]
    cadence: CadenceRules  # cadence reports and the longest report range (cadence.yaml)
    handling: HandlingRules  # routing by grade, departments, transfers, duties (handling.yaml)
    tracking: TrackingRules  # whose duty each clock is, tracking reminders (tracking.yaml)
    documents: Mapping[str, Any]  # the parsed documents as loaded, for storage and export

    def __hash__(self) -> int:
        # The mappings are not hashable; name and version identify a profile (equal profiles
        # share them).
        return hash((self.name, self.version))

    def propose_grade(
        self, category: str, flags: Iterable[str], demands: Iterable[str]
    ) -> Proposal:
        """The grade the rules propose for a new `category` order; consultations stay ungraded."""
        default = self.categories[category].grade
        if default is None:
            return Proposal(None, ())
        ranks = {code: grade.rank for code, grade in self.grades.items()}
        return grading.propose_grade(self.grading_rules, ranks, default, flags, demands)

    def alerts_for(self, flags: Iterable[str], demands: Iterable[str]) -> tuple[AlertRule, ...]:
        return grading.matching_alerts(self.alerts, flags, demands)
