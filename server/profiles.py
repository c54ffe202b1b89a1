"""Tenant profiles: load, validate and export the YAML documents that configure a tenant.

A profile is a folder of YAML documents (policies/profiles/<name>/, like a GenericSetup profile).
Import validates everything before anything is written, and reports every problem at once as
`<document>: <path>: <message>`, so an author fixes a profile in one pass instead of one error
per upload. Pydantic checks each document's shape; the cross-reference checks below then check
what one document says about another (states, grades, tiers, permissions, clock events).
The result is frozen dataclasses; the documents themselves are kept for storage and export.
"""

from __future__ import annotations

import copy
import csv
import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit
from zoneinfo import available_timezones

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from server.domain import grading
from server.domain.errors import DomainError
from server.domain.grading import ALERT_RECIPIENTS, AlertRule, GradingRule, Proposal
from server.domain.tree import valid_code
from server.domain.escalation import WarningRule
from server.domain.workflow import Label, Meaning, State, Transition, Workflow

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = (
    "profile.yaml",
    "channels.yaml",
    "categories.yaml",
    "grades.yaml",
    "routing.yaml",
    "workflow.yaml",
    "deadlines.yaml",
    "flags.yaml",
)
OPTIONAL_DOCUMENTS = ("policy.yaml", "calendar.yaml", "grading.yaml", "warnings.yaml", "portal.yaml")
# Clock events that are not workflow transitions.
EVENTS = ("registered", "first_contact")
# Roles outside every tenant (DESIGN §4): a tenant profile may neither grant nor use them.
PLATFORM_ROLES = frozenset({"platform_admin"})

Problem = tuple[str, str, str]  # (document, path, message); path "" for the whole document


# ---------------------------------------------------------------- output: frozen dataclasses


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
DEFAULT_NOTIFY: tuple[str, ...] = ("primary_handler", "secondary_handler", "managers")


@dataclass(frozen=True)
class Action:
    """What the deadline scan does when a clock falls due soon or is breached."""

    notify: tuple[str, ...] = DEFAULT_NOTIFY
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
    documents: Mapping[str, Any]  # the parsed documents as loaded, for storage and export

    def __hash__(self) -> int:
        # The mappings are not hashable; name and version identify a profile (equal profiles share them).
        return hash((self.name, self.version))

    def propose_grade(self, category: str, flags: Iterable[str], demands: Iterable[str]) -> Proposal:
        """The grade the grading rules propose for a new order of `category`; consultations stay ungraded."""
        default = self.categories[category].grade
        if default is None:
            return Proposal(None, ())
        ranks = {code: grade.rank for code, grade in self.grades.items()}
        return grading.propose_grade(self.grading_rules, ranks, default, flags, demands)

    def alerts_for(self, flags: Iterable[str], demands: Iterable[str]) -> tuple[AlertRule, ...]:
        return grading.matching_alerts(self.alerts, flags, demands)


class ProfileInvalidError(DomainError):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = list(errors)


# ---------------------------------------------------------------- field checks


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def _iso_date(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date; write YYYY-MM-DD") from None
    return value


def _timezone(value: str) -> str:
    if value not in _timezones():
        close = difflib.get_close_matches(value, sorted(_timezones()), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "use an IANA name such as 'Asia/Shanghai'"
        raise ValueError(f"unknown timezone {value!r} ({hint})")
    return value


def _number_prefix(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{2,6}", value):
        raise ValueError(f"number prefix {value!r} must be 2 to 6 uppercase letters A-Z, e.g. 'SKD'")
    return value


_PERIOD = re.compile(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d")


def _period(value: str) -> str:
    if not _PERIOD.fullmatch(value) or value[:5] >= value[6:]:
        raise ValueError(f"{value!r} is not a working period: write 'HH:MM-HH:MM', start before end, e.g. '09:00-18:00'")
    return value


def _ordered_periods(periods: list[str]) -> list[str]:
    if any(later[:5] < earlier[6:] for earlier, later in zip(periods, periods[1:])):
        raise ValueError("working periods must be in time order and must not overlap")
    return periods


def _code(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,39}", value):
        raise ValueError(f"{value!r} is not a code: use up to 40 letters, digits or underscores, starting with a letter")
    return value


def _profile_name(value: str) -> str:
    # The name becomes the tenant's root org-unit code, so it follows the org path rules.
    if not valid_code(value):
        raise ValueError(f"{value!r} is not a profile name: use 2-40 lowercase letters, digits or hyphens")
    return value


def _origin(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.path.strip("/") or parts.query or parts.fragment:
        raise ValueError(f"{value!r} is not an origin: write scheme://host[:port], e.g. https://portal.example.com")
    return f"{parts.scheme}://{parts.netloc}".lower()


Code = Annotated[str, AfterValidator(_code)]
Text = Annotated[str, Field(min_length=1)]
MeaningName = Literal[tuple(m.value for m in Meaning)]  # the workflow meanings, as YAML writes them


# ---------------------------------------------------------------- input: one model per document


class _Doc(BaseModel):
    # strict: YAML already gives real types, so "3" for a number or 2026.1 for a version is a typo.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Label(_Doc):
    zh: Text
    en: Text


class _Coded(_Doc):
    code: Code
    label: _Label


class _ProfileDoc(_Doc):
    name: Annotated[str, AfterValidator(_profile_name)]
    version: Annotated[str, Field(pattern=r"^\S+$")]
    title: _Label
    number_prefix: Annotated[str, AfterValidator(_number_prefix)]
    timezone: Annotated[str, AfterValidator(_timezone)]
    working_hours: Annotated[list[Annotated[str, AfterValidator(_period)]], Field(min_length=1), AfterValidator(_ordered_periods)]
    backdate_limit_hours: Annotated[int, Field(ge=0)]
    language: Literal["zh-CN", "en"]


class _ChannelsDoc(_Doc):
    channels: Annotated[list[_Coded], Field(min_length=1)]


class _OrderType(_Coded):
    nature: Literal["complaint", "consultation"]
    kind: Literal["sales", "aftersales"]


class _Category(_Coded):
    order_type: str
    grade: str | None = None
    routing: list[str]


class _CategoriesDoc(_Doc):
    order_types: Annotated[list[_OrderType], Field(min_length=1)]
    categories: Annotated[list[_Category], Field(min_length=1)]


class _Grade(_Coded):
    rank: int


class _GradesDoc(_Doc):
    grades: Annotated[list[_Grade], Field(min_length=1)]


class _Tier(_Coded):
    level: Literal["dealer", "region", "brand"]


class _RoutingDoc(_Doc):
    tiers: Annotated[list[_Tier], Field(min_length=1)]


class _State(_Doc):
    name: Code
    meaning: MeaningName  # type: ignore[valid-type]
    label: _Label
    final: bool = False


class _Transition(_Doc):
    name: Code
    sources: Annotated[list[str], Field(alias="from", min_length=1)]
    to: str
    permission: str
    label: _Label
    requires_comment: bool = False
    records_resolution: bool = False


class _WorkflowDoc(_Doc):
    states: Annotated[list[_State], Field(min_length=1)]
    initial: str
    transitions: list[_Transition]


class _AppliesTo(_Doc):
    grades: list[str] = []
    categories: list[str] = []
    channels: list[str] = []


class _Action(_Doc):
    notify: list[Recipient] = list(DEFAULT_NOTIFY)
    regrade: str | None = None
    move_to_tier: str | None = None


class _ClockRule(_Doc):
    clock: str
    target: Annotated[int, Field(ge=1)] | None  # required: an unlimited clock is written as null on purpose
    unit: Literal["business_minutes", "working_days", "natural_hours", "natural_days"]
    applies_to: _AppliesTo = _AppliesTo()
    starts_on: str
    stops_on: str
    pauses_on: str | None = None
    resumes_on: str | None = None
    on_due_soon: _Action = _Action()
    on_breach: _Action = _Action()


class _Windows(_Doc):
    repeat_days: Annotated[int, Field(ge=1)]
    first_time_resolution_days: Annotated[int, Field(ge=1)]


class _DeadlinesDoc(_Doc):
    clocks: list[_ClockRule]
    warn_before_percent: Annotated[int, Field(ge=0, le=99)]
    windows: _Windows


class _FlagsDoc(_Doc):
    flags: list[_Coded]
    demands: list[_Coded]


class _WhenAny(_Doc):
    flags: list[str] = []
    demands: list[str] = []


class _GradingRule(_Doc):
    grade: str
    when_any: _WhenAny
    reason: _Label


class _AlertRule(_Doc):
    when_any: _WhenAny
    notify: Annotated[list[str], Field(min_length=1)]
    reason: _Label


class _GradingDoc(_Doc):
    """Grade proposals and immediate alerts at intake (DOMAIN.md Part I.5)."""

    rules: list[_GradingRule] = []
    alerts: list[_AlertRule] = []


class _Grant(_Doc):
    role: str
    permission: str


class _PolicyDoc(_Doc):
    add: list[_Grant] = []
    remove: list[_Grant] = []


class _CalendarDay(_Doc):
    date: Annotated[str, AfterValidator(_iso_date)]
    note: str | None = None


class _CalendarDoc(_Doc):
    """The tenant's own days on top of the statutory calendar (e.g. a brand-wide training day)."""

    holidays: list[_CalendarDay] = []
    workdays: list[_CalendarDay] = []


class _WarningWhen(_Doc):
    state: str | None = None  # a state meaning: unprocessed, in_progress, ...
    calls_at_least: Annotated[int, Field(ge=1)] | None = None
    flags: list[str] = []
    demands: list[str] = []


class _WarningRule(_Doc):
    code: str
    label: _Label
    when: _WarningWhen


class _ClockTarget(_Doc):
    target: Annotated[int, Field(ge=1)]
    unit: Literal["business_minutes", "working_days", "natural_hours", "natural_days"]


class _WarningsDoc(_Doc):
    """Upgrade-warning slips (升级预警): any one rule firing issues a slip to the escalation tier."""

    acknowledge_within: _ClockTarget | None = None
    rules: list[_WarningRule] = []


class _PortalLimits(_Doc):
    """The tenant's own API limits; each may only tighten the deployment's (schema/limits.py)."""

    depth: Annotated[int, Field(ge=1)] | None = None
    aliases: Annotated[int, Field(ge=0)] | None = None
    tokens: Annotated[int, Field(ge=100)] | None = None
    page_size: Annotated[int, Field(ge=1, le=100)] | None = None
    cost: Annotated[int, Field(ge=1)] | None = None
    body_bytes: Annotated[int, Field(ge=1000)] | None = None
    timeout_seconds: Annotated[float, Field(gt=0)] | None = None
    persisted_only: bool | None = None
    introspection: bool | None = None


class _PortalDoc(_Doc):
    """The tenant's brand portals: the browser origins its API calls may come from, and its limits."""

    origins: list[Annotated[str, AfterValidator(_origin)]] = []
    limits: _PortalLimits = _PortalLimits()


_MODELS: dict[str, type[_Doc]] = {
    "profile.yaml": _ProfileDoc,
    "channels.yaml": _ChannelsDoc,
    "categories.yaml": _CategoriesDoc,
    "grades.yaml": _GradesDoc,
    "routing.yaml": _RoutingDoc,
    "workflow.yaml": _WorkflowDoc,
    "deadlines.yaml": _DeadlinesDoc,
    "flags.yaml": _FlagsDoc,
    "policy.yaml": _PolicyDoc,
    "calendar.yaml": _CalendarDoc,
    "grading.yaml": _GradingDoc,
    "warnings.yaml": _WarningsDoc,
    "portal.yaml": _PortalDoc,
}


@dataclass(frozen=True)
class _Parsed:
    """The documents as models; only built into a Profile when every document is valid."""

    profile: _ProfileDoc | None
    channels: _ChannelsDoc | None
    categories: _CategoriesDoc | None
    grades: _GradesDoc | None
    routing: _RoutingDoc | None
    workflow: _WorkflowDoc | None
    deadlines: _DeadlinesDoc | None
    flags: _FlagsDoc | None
    policy: _PolicyDoc | None
    calendar: _CalendarDoc | None
    grading: _GradingDoc | None
    warnings: _WarningsDoc | None
    portal: _PortalDoc | None


# ---------------------------------------------------------------- base permission catalogue


@dataclass(frozen=True)
class Catalogue:
    roles: frozenset[str]
    permissions: frozenset[str]
    grants: frozenset[tuple[str, str]]


@cache
def base_catalogue() -> Catalogue:
    """Tenant roles and permissions of policies/policy.csv (platform-only ones left out)."""
    with (REPO / "policies" / "policy.csv").open(encoding="utf-8") as f:
        rows = [[cell.strip() for cell in row] for row in csv.reader(f)]
    rows = [row for row in rows if row and row[0] and not row[0].startswith("#")]
    grants = frozenset((r[1], r[3]) for r in rows if r[0] == "p" and r[1] not in PLATFORM_ROLES)
    roles = {r[1] for r in rows} | {r[2] for r in rows if r[0] == "g"}
    return Catalogue(frozenset(roles - PLATFORM_ROLES), frozenset(p for _, p in grants), grants)


# ---------------------------------------------------------------- shape errors from pydantic


def _path(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next((m for arg in get_args(annotation) if (m := _inner_model(arg))), None)


def _allowed_keys(model: type[BaseModel] | None, loc: tuple[str | int, ...]) -> list[str]:
    """The keys accepted where an unknown key (the last part of `loc`) was found."""
    for part in loc[:-1]:
        if model is not None and isinstance(part, str):
            field = next((f for n, f in model.model_fields.items() if (f.alias or n) == part), None)
            model = _inner_model(field.annotation) if field else None
    return [f.alias or n for n, f in model.model_fields.items()] if model else []


def _message(error: Any, model: type[BaseModel]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown key (allowed: {', '.join(_allowed_keys(model, error['loc']))})"
    if kind == "missing":
        return "required key is missing"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind == "model_type":
        # pydantic would name the model's Python class, which means nothing to a YAML author.
        return f"expected a mapping of keys (got {_short(error['input'])})"
    if kind.endswith("_type") or kind == "literal_error":
        return f"{error['msg']} (got {_short(error['input'])})"
    return error["msg"]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _validate_document(name: str, data: Any) -> tuple[_Doc | None, list[Problem]]:
    model = _MODELS[name]
    if not isinstance(data, dict):
        what = "the document is empty" if data is None else f"got {type(data).__name__}"
        return None, [(name, "", f"expected a mapping of keys ({what})")]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, [(name, _path(e["loc"]), _message(e, model)) for e in exc.errors()]


def _validate_documents(documents: Mapping[str, Any], unreadable: set[str]) -> tuple[_Parsed, list[Problem]]:
    problems: list[Problem] = [
        (name, "", f"unknown document (documents: {', '.join(_MODELS)})") for name in documents if name not in _MODELS
    ]
    models: dict[str, _Doc | None] = {}
    for name in _MODELS:
        if name in documents:
            models[name], found = _validate_document(name, documents[name])
            problems += found
        else:
            models[name] = _MODELS[name]() if name in OPTIONAL_DOCUMENTS else None
            if name in DOCUMENTS and name not in unreadable:
                problems.append((name, "", "missing document"))
    return _Parsed(**{name.removesuffix(".yaml"): model for name, model in models.items()}), problems


# ---------------------------------------------------------------- cross-reference checks
# These read the raw documents, not the models, so they still run where a document has shape
# errors (pydantic reports those): the author sees every problem in one pass. A list that is
# missing or not a list gives no names (None), and references to it are then not checked, so
# one broken list does not turn every reference to it into a second error.


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _strs(item: Any, key: str) -> list[tuple[int, str]]:
    values = item.get(key) if isinstance(item, dict) else None
    return [(j, v) for j, v in enumerate(values) if isinstance(v, str)] if isinstance(values, list) else []


class _Raw:
    def __init__(self, documents: Mapping[str, Any]):
        self._documents = documents

    def value(self, doc: str, key: str) -> Any:
        data = self._documents.get(doc)
        return data.get(key) if isinstance(data, dict) else None

    def items(self, doc: str, key: str) -> list[tuple[int, dict[str, Any]]]:
        values = self.value(doc, key)
        return [(i, v) for i, v in enumerate(values) if isinstance(v, dict)] if isinstance(values, list) else []

    def names(self, doc: str, key: str, field: str = "code") -> list[str] | None:
        if not isinstance(self.value(doc, key), list):
            return None
        return [name for _, item in self.items(doc, key) if (name := _str(item.get(field))) is not None]


def _ref(doc: str, path: str, value: Any, known: Iterable[str] | None, what: str, plural: str) -> list[Problem]:
    """An unknown reference, naming what would be valid; nothing when the value or `known` is unusable."""
    if known is None or not isinstance(value, str) or value in known:
        return []
    return [(doc, path, f"unknown {what} {value!r} ({plural}: {', '.join(known) or 'none'})")]


def _duplicates(raw: _Raw, doc: str, items: str, key: str) -> list[Problem]:
    first: dict[Any, int] = {}
    out: list[Problem] = []
    for i, item in raw.items(doc, items):
        value = item.get(key)
        if isinstance(value, (str, int)) and value in first:
            out.append((doc, f"{items}[{i}].{key}", f"duplicate {key} {value!r} (first at {items}[{first[value]}])"))
        elif isinstance(value, (str, int)):
            first[value] = i
    return out


def _check_duplicates(raw: _Raw) -> list[Problem]:
    lists = [
        ("channels.yaml", "channels", "code"),
        ("categories.yaml", "order_types", "code"),
        ("categories.yaml", "categories", "code"),
        ("grades.yaml", "grades", "code"),
        ("grades.yaml", "grades", "rank"),
        ("routing.yaml", "tiers", "code"),
        ("workflow.yaml", "states", "name"),
        ("workflow.yaml", "transitions", "name"),
        ("flags.yaml", "flags", "code"),
        ("flags.yaml", "demands", "code"),
    ]
    return [problem for doc, items, key in lists for problem in _duplicates(raw, doc, items, key)]


def _check_categories(raw: _Raw) -> list[Problem]:
    doc = "categories.yaml"
    natures = {t.get("code"): t.get("nature") for _, t in raw.items(doc, "order_types") if _str(t.get("code"))}
    types, grades, tiers = raw.names(doc, "order_types"), raw.names("grades.yaml", "grades"), raw.names("routing.yaml", "tiers")
    out: list[Problem] = []
    for i, category in raw.items(doc, "categories"):
        path, grade = f"categories[{i}]", category.get("grade")
        out += _ref(doc, f"{path}.order_type", category.get("order_type"), types, "order type", "order types")
        out += _ref(doc, f"{path}.grade", grade, grades, "grade", "grades")
        if grade is None and natures.get(_str(category.get("order_type"))) == "complaint":
            out.append((doc, f"{path}.grade", f"a complaint category needs a default grade (grades: {', '.join(grades or [])})"))
        for j, tier in _strs(category, "routing"):
            out += _ref(doc, f"{path}.routing[{j}]", tier, tiers, "tier", "tiers")
    return out


def _check_workflow(raw: _Raw, catalogue: Catalogue) -> list[Problem]:
    doc, states = "workflow.yaml", raw.names("workflow.yaml", "states", "name")
    finals = {s["name"] for _, s in raw.items(doc, "states") if s.get("final") is True and _str(s.get("name"))}
    initial = raw.value(doc, "initial")
    out = _ref(doc, "initial", initial, states, "state", "states")
    if _str(initial) in finals:
        out.append((doc, "initial", f"the initial state {initial!r} is final, so no order could ever move"))
    for i, transition in raw.items(doc, "transitions"):
        out += _check_transition(f"transitions[{i}]", transition, states, finals, catalogue)
    transitions = raw.items(doc, "transitions")
    if transitions and not any(t.get("records_resolution") is True for _, t in transitions):
        out.append((doc, "transitions", "no transition records a resolution (set records_resolution: true on one)"))
    return out


def _check_transition(
    path: str, t: dict[str, Any], states: list[str] | None, finals: set[str], catalogue: Catalogue
) -> list[Problem]:
    doc = "workflow.yaml"
    out: list[Problem] = []
    for j, source in _strs(t, "from"):
        out += _ref(doc, f"{path}.from[{j}]", source, states, "state", "states")
        if source in finals:
            out.append((doc, f"{path}.from[{j}]", f"state {source!r} is final: no transition may leave it"))
    out += _ref(doc, f"{path}.to", t.get("to"), states, "state", "states")
    out += _ref(doc, f"{path}.permission", t.get("permission"), sorted(catalogue.permissions), "permission", "permissions")
    if t.get("name") in EVENTS:
        out.append((doc, f"{path}.name", f"{t['name']!r} is reserved for a clock event ({', '.join(EVENTS)})"))
    return out


def _check_clocks(raw: _Raw) -> list[Problem]:
    states, transitions = raw.names("workflow.yaml", "states", "name"), raw.names("workflow.yaml", "transitions", "name")
    clocks = None if states is None else ["response", "closure", *states]
    events = None if transitions is None else [*EVENTS, *transitions]
    rules = raw.items("deadlines.yaml", "clocks")
    out: list[Problem] = []
    grades, tiers = raw.names("grades.yaml", "grades"), raw.names("routing.yaml", "tiers")
    for i, rule in rules:
        out += _check_clock_rule(f"clocks[{i}]", rule, clocks, events)
        out += _check_applies_to(raw, f"clocks[{i}].applies_to", rule.get("applies_to"))
        for key in ("on_due_soon", "on_breach"):
            action = rule.get(key) if isinstance(rule.get(key), dict) else {}
            out += _ref("deadlines.yaml", f"clocks[{i}].{key}.regrade", action.get("regrade"), grades, "grade", "grades")
            out += _ref("deadlines.yaml", f"clocks[{i}].{key}.move_to_tier", action.get("move_to_tier"), tiers, "tier", "tiers")
    return out + _clock_overlaps(rules)


def _check_clock_rule(path: str, rule: dict[str, Any], clocks: list[str] | None, events: list[str] | None) -> list[Problem]:
    doc = "deadlines.yaml"
    out = _ref(doc, f"{path}.clock", rule.get("clock"), clocks, "clock", "response, closure or a workflow state")
    for key in ("starts_on", "stops_on", "pauses_on", "resumes_on"):
        out += _ref(doc, f"{path}.{key}", rule.get(key), events, "event", "events and transitions")
    if (rule.get("pauses_on") is None) != (rule.get("resumes_on") is None):
        out.append((doc, path, "pauses_on and resumes_on go together: a paused clock must be able to resume"))
    if _str(rule.get("starts_on")) and rule.get("starts_on") == rule.get("stops_on"):
        out.append((doc, f"{path}.stops_on", f"the clock would stop on the event that starts it ({rule['starts_on']!r})"))
    return out


def _check_applies_to(raw: _Raw, path: str, scope: Any) -> list[Problem]:
    targets = [
        ("grades", "grade", raw.names("grades.yaml", "grades")),
        ("categories", "category", raw.names("categories.yaml", "categories")),
        ("channels", "channel", raw.names("channels.yaml", "channels")),
    ]
    return [
        problem
        for items, what, known in targets
        for j, value in _strs(scope, items)
        for problem in _ref("deadlines.yaml", f"{path}.{items}[{j}]", value, known, what, items)
    ]


_SCOPES = ("grades", "categories", "channels")


def _clock_overlaps(rules: list[tuple[int, dict[str, Any]]]) -> list[Problem]:
    """Two rules for the same clock that can match the same order would make its deadline ambiguous."""
    out: list[Problem] = []
    for n, (j, later) in enumerate(rules):
        for i, earlier in rules[:n]:
            shared = _shared_scope(earlier.get("applies_to"), later.get("applies_to"))
            if _str(later.get("clock")) and earlier.get("clock") == later.get("clock") and shared:
                message = f"overlaps clocks[{i}]: both {later['clock']!r} rules apply to {shared}"
                out.append(("deadlines.yaml", f"clocks[{j}].applies_to", message))
    return out


def _shared_scope(a: Any, b: Any) -> str | None:
    """What two scopes both match (an empty or missing list matches everything), or None if they are disjoint."""
    parts = []
    for items in _SCOPES:
        x, y = [v for _, v in _strs(a, items)], [v for _, v in _strs(b, items)]
        common = [v for v in x if v in y] if x and y else (x or y)
        if x and y and not common:
            return None
        if common:
            parts.append(f"{items} {', '.join(common)}")
    return "; ".join(parts) or "every order"


def _check_policy(raw: _Raw, catalogue: Catalogue) -> list[Problem]:
    doc, out = "policy.yaml", []
    for key in ("add", "remove"):
        for i, grant in raw.items(doc, key):
            path, role, permission = f"{key}[{i}]", grant.get("role"), grant.get("permission")
            found = _ref(doc, f"{path}.role", role, sorted(catalogue.roles), "role", "roles")
            found += _ref(doc, f"{path}.permission", permission, sorted(catalogue.permissions), "permission", "permissions")
            if not found and key == "remove" and _str(role) and _str(permission) and (role, permission) not in catalogue.grants:
                found.append((doc, path, f"the base policy does not grant {permission!r} to {role!r}: nothing to remove"))
            out += found
    return out


def _check_grading(raw: _Raw) -> list[Problem]:
    doc, grades = "grading.yaml", raw.names("grades.yaml", "grades")
    out: list[Problem] = []
    for i, rule in raw.items(doc, "rules"):
        out += _ref(doc, f"rules[{i}].grade", rule.get("grade"), grades, "grade", "grades")
        out += _check_when_any(raw, f"rules[{i}].when_any", rule.get("when_any"))
    for i, alert in raw.items(doc, "alerts"):
        out += _check_when_any(raw, f"alerts[{i}].when_any", alert.get("when_any"))
        for j, who in _strs(alert, "notify"):
            out += _ref(doc, f"alerts[{i}].notify[{j}]", who, ALERT_RECIPIENTS, "recipient", "recipients")
    return out


def _check_when_any(raw: _Raw, path: str, when: Any) -> list[Problem]:
    """Each code must be one ticked at intake (flags.yaml), in the list it belongs to."""
    flags, demands = raw.names("flags.yaml", "flags"), raw.names("flags.yaml", "demands")
    out = [p for j, code in _strs(when, "flags") for p in _intake_code(f"{path}.flags[{j}]", code, flags, demands, "flag")]
    out += [p for j, code in _strs(when, "demands") for p in _intake_code(f"{path}.demands[{j}]", code, demands, flags, "demand")]
    # Only when both lists are well-formed: a broken list is reported by its shape check already.
    if isinstance(when, dict) and all(isinstance(when.get(k, []), list) and not when.get(k) for k in ("flags", "demands")):
        out.append(("grading.yaml", path, "lists no flag or demand, so the rule could never match"))
    return out


def _intake_code(path: str, code: str, known: list[str] | None, other: list[str] | None, what: str) -> list[Problem]:
    # A demand listed under flags (or the reverse) is the likely slip: say so rather than "unknown".
    if known is not None and code not in known and code in (other or []):
        wrong, right = (f"{what}s", "demands" if what == "flag" else "flags")
        return [("grading.yaml", path, f"{code!r} is one of the {right}, not the {wrong}: list it under {right}")]
    return _ref("grading.yaml", path, code, known, what, f"{what}s")


def _check_warnings(raw: _Raw) -> list[Problem]:
    doc, out = "warnings.yaml", []
    flags, demands = raw.names("flags.yaml", "flags"), raw.names("flags.yaml", "demands")
    meanings = [m.value for m in Meaning]
    for i, rule in raw.items(doc, "rules"):
        when = rule.get("when") if isinstance(rule.get("when"), dict) else {}
        out += _ref(doc, f"rules[{i}].when.state", when.get("state"), meanings, "state meaning", "meanings")
        out += [p for j, f in _strs(when, "flags") for p in _ref(doc, f"rules[{i}].when.flags[{j}]", f, flags, "flag", "flags")]
        out += [p for j, d in _strs(when, "demands") for p in _ref(doc, f"rules[{i}].when.demands[{j}]", d, demands, "demand", "demands")]
        if when and not (when.get("state") or when.get("flags") or when.get("demands")):
            out.append((doc, f"rules[{i}].when", "name a state, flags or demands: a rule with no condition would fire on every order"))
    return out + _duplicates(raw, doc, "rules", "code")


def _cross_check(documents: Mapping[str, Any], catalogue: Catalogue) -> list[Problem]:
    raw = _Raw(documents)
    return (
        _check_duplicates(raw)
        + _check_categories(raw)
        + _check_workflow(raw, catalogue)
        + _check_clocks(raw)
        + _check_policy(raw, catalogue)
        + _check_warnings(raw)
        + _check_grading(raw)
    )


# ---------------------------------------------------------------- building the Profile


def _label(label: _Label) -> Label:
    return Label(zh=label.zh, en=label.en)


def _by_code(items: Iterable[Any], build: Callable[[Any], Any]) -> Mapping[str, Any]:
    return MappingProxyType({item.code: build(item) for item in items})


def _workflow(wf: _WorkflowDoc) -> Workflow:
    states = tuple(State(s.name, Meaning(s.meaning), _label(s.label), s.final) for s in wf.states)
    transitions = tuple(
        Transition(t.name, tuple(t.sources), t.to, t.permission, _label(t.label), t.requires_comment, t.records_resolution)
        for t in wf.transitions
    )
    return Workflow(states, wf.initial, transitions)


def _clock(r: _ClockRule) -> ClockRule:
    scope = r.applies_to
    return ClockRule(
        r.clock, r.target, r.unit, tuple(scope.grades), tuple(scope.categories), tuple(scope.channels),
        r.starts_on, r.stops_on, r.pauses_on, r.resumes_on, _action(r.on_due_soon), _action(r.on_breach),
    )  # fmt: skip


def _action(a: _Action) -> Action:
    return Action(tuple(a.notify), a.regrade, a.move_to_tier)


def _grading(doc: _GradingDoc) -> dict[str, Any]:
    def when(w: _WhenAny) -> tuple[frozenset[str], frozenset[str]]:
        return frozenset(w.flags), frozenset(w.demands)

    return {
        "grading_rules": tuple(GradingRule(r.grade, *when(r.when_any), _label(r.reason)) for r in doc.rules),
        "alerts": tuple(AlertRule(*when(a.when_any), tuple(a.notify), _label(a.reason)) for a in doc.alerts),
    }


def _catalogues(p: _Parsed) -> dict[str, Any]:
    """The coded lists of the profile, keyed by code in document order."""
    return {
        "channels": _by_code(p.channels.channels, lambda c: Channel(c.code, _label(c.label))),
        "order_types": _by_code(p.categories.order_types, lambda t: OrderType(t.code, _label(t.label), t.nature, t.kind)),
        "categories": _by_code(
            p.categories.categories,
            lambda c: Category(c.code, _label(c.label), c.order_type, c.grade, tuple(c.routing)),
        ),
        "grades": _by_code(p.grades.grades, lambda g: Grade(g.code, _label(g.label), g.rank)),
        "tiers": _by_code(p.routing.tiers, lambda t: Tier(t.code, _label(t.label), t.level)),
        "flags": _by_code(p.flags.flags, lambda f: _label(f.label)),
        "demands": _by_code(p.flags.demands, lambda d: _label(d.label)),
    }


def _warnings(doc: _WarningsDoc) -> dict[str, Any]:
    rules = tuple(
        WarningRule(
            r.code, _label(r.label), Meaning(r.when.state) if r.when.state else None, r.when.calls_at_least,
            frozenset(r.when.flags), frozenset(r.when.demands),
        )  # fmt: skip
        for r in doc.rules
    )
    ack = doc.acknowledge_within
    return {"warning_rules": rules, "slip_acknowledgement": ClockTarget(ack.target, ack.unit) if ack else None}


def _build(p: _Parsed, documents: Mapping[str, Any]) -> Profile:
    head, deadlines = p.profile, p.deadlines
    return Profile(
        **head.model_dump(exclude={"title", "working_hours"}),
        title=_label(head.title),
        working_hours=tuple(head.working_hours),
        **_catalogues(p),
        workflow=_workflow(p.workflow),
        clocks=tuple(_clock(rule) for rule in deadlines.clocks),
        warn_before_percent=deadlines.warn_before_percent,
        repeat_days=deadlines.windows.repeat_days,
        first_time_resolution_days=deadlines.windows.first_time_resolution_days,
        **_grading(p.grading),
        **_warnings(p.warnings),
        policy_add=tuple((g.role, g.permission) for g in p.policy.add),
        policy_remove=tuple((g.role, g.permission) for g in p.policy.remove),
        extra_holidays=frozenset(date.fromisoformat(d.date) for d in p.calendar.holidays),
        extra_workdays=frozenset(date.fromisoformat(d.date) for d in p.calendar.workdays),
        portal_origins=frozenset(p.portal.origins),
        limit_overrides=MappingProxyType(p.portal.limits.model_dump(exclude_none=True)),
        documents=MappingProxyType(copy.deepcopy(dict(documents))),
    )


# ---------------------------------------------------------------- public API


def _path_key(path: str) -> list[Any]:
    # "clocks[10]" sorts after "clocks[2]": digits compare as numbers. re.split alternates text
    # and digits, so the keys of two paths always compare like with like.
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path)]


def _format(problems: list[Problem]) -> list[str]:
    """One line per problem, by document in DOCUMENTS order, then by path (list indices numerically)."""
    order = [*DOCUMENTS, *OPTIONAL_DOCUMENTS]
    ranked = sorted(problems, key=lambda pr: (order.index(pr[0]) if pr[0] in order else len(order), _path_key(pr[1])))
    return [f"{doc}: {path}: {message}" if path else f"{doc}: {message}" for doc, path, message in ranked]


def _parse(documents: Mapping[str, Any], earlier: list[Problem], unreadable: set[str]) -> Profile:
    parsed, problems = _validate_documents(documents, unreadable)
    problems = earlier + problems + _cross_check(documents, base_catalogue())
    if problems:
        raise ProfileInvalidError(_format(problems))
    return _build(parsed, documents)


def parse_profile(documents: Mapping[str, Any]) -> Profile:
    """Validate parsed documents (keyed by file name) and build the profile, or raise every problem at once."""
    return _parse(documents, [], set())


def load_profile_dir(path: Path) -> Profile:
    documents, problems = _read_dir(path)
    return _parse(documents, problems, {doc for doc, _, _ in problems})


def read_profile_dir(path: Path) -> dict[str, Any]:
    documents, problems = _read_dir(path)
    if problems:
        raise ProfileInvalidError(_format(problems))
    return documents


def export_profile(profile: Profile) -> dict[str, str]:
    """File name -> YAML text of each stored document (comments are not kept: they are not data)."""
    return {
        name: yaml.safe_dump(dict(doc), allow_unicode=True, sort_keys=False, width=120)
        for name, doc in profile.documents.items()
    }


def bundled_profile_path(name: str) -> Path:
    return REPO / "policies" / "profiles" / name


# ---------------------------------------------------------------- reading YAML


class _Loader(yaml.SafeLoader):
    """Safe YAML that refuses duplicate keys (the last one would silently win) and keeps dates as text."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep)


# Dates would load as datetime.date, which is not JSON: the stored documents must be.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read_dir(path: Path) -> tuple[dict[str, Any], list[Problem]]:
    if not path.is_dir():
        raise FileNotFoundError(f"no profile folder at {path}")
    documents: dict[str, Any] = {}
    problems: list[Problem] = []
    for file in sorted(f for f in path.iterdir() if f.suffix in (".yaml", ".yml")):
        try:
            documents[file.name] = yaml.load(file.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (a SafeLoader)
        except yaml.YAMLError as exc:
            problems.append((file.name, *_yaml_problem(exc)))
    return documents, problems


def _yaml_problem(exc: yaml.YAMLError) -> tuple[str, str]:
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return where, f"invalid YAML: {getattr(exc, 'problem', None) or exc}"
