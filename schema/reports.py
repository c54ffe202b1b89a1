"""Reports people read: the monthly complaint analysis, the cadence reports and the links to the
Excel exports (served by complaintdesk/exports.py with the same bearer token), and the figure
types the widened board shares (schema/live.py)."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

import strawberry

from schema import cursors
from schema.context import Info
from schema.errors import NotFound, ValidationError, answer
from schema.ids import encode, key
from schema.parties import Label
from schema.queries import Cursor, WorkOrderFilter
from server.domain.errors import FieldProblem, InvalidInputError
from server.domain.workflow import Label as DomainLabel
from server.profiles import Profile
from server.services import analysis, cadence, report_scope
from server.services.board_figures import TrendDay as TrendFigures

EXPORTS = "/exports"


@strawberry.type(description="How many orders carry one code of the profile.")
class CodeCount:
    code: str | None = strawberry.field(description="The code; null for ungraded orders.")
    label: Label = strawberry.field(description="Its label in the tenant's languages.")
    count: int = strawberry.field(description="How many orders.")

    @classmethod
    def of(cls, counts: Mapping[Any, int], labels: Mapping[Any, Any]) -> list[CodeCount]:
        unknown = DomainLabel("未分级", "Ungraded")
        return [
            cls(code=code, label=Label.of(_label(labels, code, unknown)), count=n)
            for code, n in counts.items()
        ]


def _label(labels: Mapping[Any, Any], code: Any, otherwise: DomainLabel) -> DomainLabel:
    item = labels.get(code)
    if item is None:
        return otherwise if code is None else DomainLabel(str(code), str(code))
    return item if isinstance(item, DomainLabel) else item.label


@strawberry.type(description="Open orders by the state of their clocks.")
class ClockStatus:
    on_time: int = strawberry.field(description="A clock running, none in warning or past due.")
    due_soon: int = strawberry.field(description="A running clock in its warning window.")
    breached: int = strawberry.field(description="A running clock past its deadline.")
    stopped: int = strawberry.field(description="No clock running (paused or all met).")


@strawberry.type(description="Orders registered, handled and closed on one day.")
class TrendDay:
    day: date = strawberry.field(description="The day, in the tenant's timezone.")
    registered: int = strawberry.field(description="Orders registered that day.")
    handled: int = strawberry.field(description="Orders handled that day.")
    closed: int = strawberry.field(description="Orders closed that day.")

    @classmethod
    def of(cls, day: TrendFigures) -> TrendDay:
        return cls(day=day.day, registered=day.registered, handled=day.handled, closed=day.closed)


@strawberry.type(description="The board's daily trend over the chosen days.")
class BoardTrend:
    days: list[TrendDay] = strawberry.field(description="Each day of the range, zeros included.")


@strawberry.type(description="Median and 90th percentile of a clock's business minutes.")
class Durations:
    count: int = strawberry.field(description="Stopped clocks measured.")
    median: int | None = strawberry.field(description="Median, in business minutes.")
    p90: int | None = strawberry.field(description="90th percentile, in business minutes.")


@strawberry.type(description="A root cause as recorded, and how often.")
class RootCause:
    cause: str = strawberry.field(description="The root cause as the handler wrote it.")
    count: int = strawberry.field(description="Orders with it.")


@strawberry.type(description="Revisits finished in the period.")
class RevisitFigures:
    count: int = strawberry.field(description="Revisits with a result.")
    by_result: list[CodeCount] = strawberry.field(description="By result type.")
    satisfied_rate: float | None = strawberry.field(
        description="Satisfied results among those where the customer gave a verdict."
    )


@strawberry.type(description="The headline figures of the period before, or their change.")
class Headline:
    total: float | None = strawberry.field(description="Orders (change: relative, 0.25 = +25%).")
    repeat_rate: float | None = strawberry.field(description="Repeat complaints among them.")
    escalation_rate: float | None = strawberry.field(description="Escalated among them.")
    response_median: float | None = strawberry.field(description="Median response minutes.")
    closure_median: float | None = strawberry.field(description="Median closure minutes.")


@strawberry.type(description="The complaint analysis of a period (客户投诉分析月报).")
class ComplaintAnalysis:
    figures: strawberry.Private[dict[str, Any]]
    profile: strawberry.Private[Profile]
    export_url: str | None = strawberry.field(
        description="Where to download it as an Excel workbook with charts (same bearer token)."
    )

    @strawberry.field(description="The period: YYYY-MM, or YYYY-Www for a weekly report.")
    def period(self) -> str:
        return str(self.figures["period"])

    @strawberry.field(description="Orders registered in the period.")
    def total(self) -> int:
        return int(self.figures["total"])

    @strawberry.field(description="By order type.")
    def by_type(self) -> list[CodeCount]:
        return CodeCount.of(self.figures["by_type"], self.profile.order_types)

    @strawberry.field(description="By category.")
    def by_category(self) -> list[CodeCount]:
        return CodeCount.of(self.figures["by_category"], self.profile.categories)

    @strawberry.field(description="By intake channel.")
    def by_channel(self) -> list[CodeCount]:
        return CodeCount.of(self.figures["by_channel"], self.profile.channels)

    @strawberry.field(description="The most frequent root causes as recorded.")
    def root_causes(self) -> list[RootCause]:
        return [RootCause(cause=c["cause"], count=c["count"]) for c in self.figures["root_causes"]]

    @strawberry.field(description="Response times of the period's orders, in business minutes.")
    def response(self) -> Durations:
        return Durations(**self.figures["response"])

    @strawberry.field(description="Closure times of the period's orders, in business minutes.")
    def closure(self) -> Durations:
        return Durations(**self.figures["closure"])

    @strawberry.field(description="Repeat complaints among the period's orders.")
    def repeat_rate(self) -> float | None:
        return self.figures["repeat_rate"]

    @strawberry.field(description="Escalated orders among the period's orders.")
    def escalation_rate(self) -> float | None:
        return self.figures["escalation_rate"]

    @strawberry.field(description="Revisit results of the period.")
    def revisits(self) -> RevisitFigures:
        revisits = self.figures["revisits"]
        results = self.profile.revisit_rules.results if self.profile.revisit_rules else {}
        return RevisitFigures(
            count=revisits["count"],
            by_result=CodeCount.of(revisits["by_result"], results),
            satisfied_rate=revisits["satisfied_rate"],
        )

    @strawberry.field(description="The period before's headline figures.")
    def previous(self) -> Headline:
        return Headline(**self.figures["previous"])

    @strawberry.field(description="The relative change from the period before (0.25 = +25%).")
    def change(self) -> Headline:
        return Headline(**self.figures["change"])

    @strawberry.field(description="Registered, handled and closed orders per day.")
    def trend(self) -> list[TrendDay]:
        return [
            TrendDay(
                day=date.fromisoformat(d["day"]),
                registered=d["registered"],
                handled=d["handled"],
                closed=d["closed"],
            )
            for d in self.figures["trend"]
        ]


ComplaintAnalysisResult = Annotated[
    ComplaintAnalysis | ValidationError | NotFound,
    strawberry.union(
        "ComplaintAnalysisResult",
        description="The analysis, or why the period or the org unit was refused.",
    ),
]


@strawberry.type(description="A cadence report the profile schedules (cadence.yaml), as produced.")
class CadenceReport:
    row: strawberry.Private[Any]
    profile: strawberry.Private[Profile]

    @strawberry.field(description="Opaque global id.")
    def id(self) -> strawberry.ID:
        return encode("CadenceReport", self.row.id)

    @strawberry.field(description="The report's code in cadence.yaml.")
    def kind(self) -> str:
        return str(self.row.kind)

    @strawberry.field(description="The report's name in the tenant's languages.")
    def label(self) -> Label:
        rule = self.profile.cadence.reports.get(self.row.kind)
        return Label.of(rule.label) if rule else Label(zh=self.row.kind, en=self.row.kind)

    @strawberry.field(description="The period covered: YYYY-MM or YYYY-Www.")
    def period(self) -> str:
        return str(self.row.period)

    @strawberry.field(description="Start of the period covered.")
    def starts_at(self) -> datetime:
        return self.row.starts_at

    @strawberry.field(description="End of the period covered (exclusive).")
    def ends_at(self) -> datetime:
        return self.row.ends_at

    @strawberry.field(description="When it was produced.")
    def produced_at(self) -> datetime:
        return self.row.produced_at

    @strawberry.field(description="Its figures: the analysis of the period for the whole brand.")
    def analysis(self) -> ComplaintAnalysis:
        url = f"{EXPORTS}/reports/{encode('CadenceReport', self.row.id)}.xlsx"
        return ComplaintAnalysis(figures=self.row.figures, profile=self.profile, export_url=url)


@strawberry.type(description="A page of cadence reports, newest first.")
class CadenceReportConnection:
    nodes: list[CadenceReport] = strawberry.field(description="The reports of this page.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")
    has_next_page: bool = strawberry.field(description="Whether another page follows.")


CadenceReportsResult = Annotated[
    CadenceReportConnection | ValidationError,
    strawberry.union(
        "CadenceReportsResult", description="A page of reports, or why the arguments were refused."
    ),
]


@strawberry.type(description="Where to download an export (GET, with the same bearer token).")
class ExportLink:
    url: str = strawberry.field(description="The path of the download on this server.")


ExportLinkResult = Annotated[
    ExportLink | ValidationError | NotFound,
    strawberry.union(
        "ExportLinkResult", description="The download's link, or why the filter was refused."
    ),
]


def filter_token(f: WorkOrderFilter | None) -> str:
    """The filter as the download's query parameter: its GraphQL input as JSON, base64url."""
    given = {} if f is None else strawberry.asdict(f)
    fields = {k: v for k, v in given.items() if v not in (None, False)}
    data = {_camel(k): v.isoformat() if isinstance(v, datetime) else v for k, v in fields.items()}
    return base64.urlsafe_b64encode(json.dumps(data, ensure_ascii=False).encode()).decode()


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


FILTER_FIELDS = {_camel(name): name for name in WorkOrderFilter.__annotations__}


def filter_from_token(token: str) -> WorkOrderFilter:
    """The filter a download link carries; an unknown field or a bad value is refused by name."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
    except ValueError:
        raise InvalidInputError([FieldProblem(("filter",), "not a filter of a link")]) from None
    return filter_from_data(data)


def filter_from_data(data: Any) -> WorkOrderFilter:
    """The filter from its JSON form (the GraphQL input's field names); an unknown field or a bad
    value is refused by name."""
    if not isinstance(data, dict):
        raise InvalidInputError([FieldProblem(("filter",), "a filter is a JSON object")])
    unknown = sorted(set(data) - set(FILTER_FIELDS))
    if unknown:
        known = ", ".join(FILTER_FIELDS)
        problems = [
            FieldProblem(("filter", name), f"unknown filter field (fields: {known})")
            for name in unknown
        ]
        raise InvalidInputError(problems)
    values = {}
    for name, value in data.items():
        if name in ("registeredFrom", "registeredTo") and value is not None:
            try:
                value = datetime.fromisoformat(value)
            except (TypeError, ValueError):
                problem = FieldProblem(("filter", name), "not an ISO 8601 instant")
                raise InvalidInputError([problem]) from None
        values[FILTER_FIELDS[name]] = value
    return WorkOrderFilter(**values)


@strawberry.type
class ReportQuery:
    @strawberry.field(
        description=(
            "The monthly complaint analysis of your scope, or of one region or dealer in it."
        )
    )
    async def complaint_analysis(
        self,
        info: Info,
        period: Annotated[str, strawberry.argument(description="The month, YYYY-MM.")],
        org_unit_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="A region or dealer; omit for your whole scope."),
        ] = None,
    ) -> ComplaintAnalysisResult:
        async def run() -> ComplaintAnalysis:
            caller = info.context.caller
            unit = key("OrgUnit", org_unit_id) if org_unit_id is not None else None
            figures = await analysis.complaint_analysis(caller, period, unit)
            query = {"period": period, **({"orgUnitId": org_unit_id} if org_unit_id else {})}
            url = f"{EXPORTS}/analysis.xlsx?{urlencode(query)}"
            return ComplaintAnalysis(figures=figures, profile=caller.profile, export_url=url)

        return await answer(run, ValidationError, NotFound, sent_id=org_unit_id or "")

    @strawberry.field(description="Produced cadence reports you may read, newest first.")
    async def reports(
        self,
        info: Info,
        kind: Annotated[
            str | None, strawberry.argument(description="Only this report (its cadence.yaml code).")
        ] = None,
        first: Annotated[int, strawberry.argument(description="How many, at most 50.")] = 12,
        after: Cursor = None,
    ) -> CadenceReportsResult:
        async def run() -> CadenceReportConnection:
            caller = info.context.caller
            found = cursors.decode("report", after)
            page = await cadence.list_reports(caller, kind, first, found[0] if found else None)
            nodes = [CadenceReport(row=r, profile=caller.profile) for r in page.reports]
            last = page.reports[-1].id if page.reports else None
            end = cursors.encode("report", last) if last is not None else None
            return CadenceReportConnection(nodes=nodes, end_cursor=end, has_next_page=page.has_next)

        return await answer(run, ValidationError)

    @strawberry.field(
        description=(
            "A link to download the orders your filter selects as an Excel workbook (every "
            "matching order, not a page)."
        )
    )
    async def order_export(
        self,
        info: Info,
        filter: Annotated[
            WorkOrderFilter | None,
            strawberry.argument(description="The filter of your order list."),
        ] = None,
    ) -> ExportLinkResult:
        async def run() -> ExportLink:
            unit = filter.org_unit_id if filter is not None else None
            report_scope.unit_path(info.context.caller, key("OrgUnit", unit) if unit else None)
            return ExportLink(
                url=f"{EXPORTS}/orders.xlsx?{urlencode({'filter': filter_token(filter)})}"
            )

        sent = (filter.org_unit_id if filter is not None else None) or ""
        return await answer(run, ValidationError, NotFound, sent_id=sent)
