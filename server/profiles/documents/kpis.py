"""kpis.yaml: the KPIs a dealer is assessed on, the score that combines them, when the monthly
reconciliation runs, how long its statements may be appealed, the quarterly incentives and when
the scheduler assesses a quarter (docs/rules.md#kpis and #dealer-score). The first-time-resolution
window is deadlines.yaml's `windows.first_time_resolution_days`: one window, read by the repeat
rules and the KPI alike."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field

from server.domain.kpi import Incentive, KpiDefinition, KpiRules, Measure, Schedule
from server.profiles.crosscheck import Names, RawDocuments
from server.profiles.document import Coded, Document, DocumentKind
from server.profiles.problems import Problem, ProblemCode

DOC = "kpis.yaml"
NATURES = ("complaint", "consultation")


class _Population(Document):
    natures: Annotated[list[str], Field(min_length=1)]


class _Kpi(Coded):
    measure: Literal["clock", "first_time_resolution", "revisit_success", "satisfaction"]
    clock: str | None = None
    satisfied: list[str] = Field(default_factory=list)  # revisits.yaml result codes

    def build(self) -> KpiDefinition:
        label, measure = self.label, Measure(self.measure)
        return KpiDefinition(
            self.code, label.zh, label.en, measure, self.clock, frozenset(self.satisfied)
        )


class _Score(Document):
    weights: dict[str, Annotated[float, Field(gt=0, le=1)]]
    scale: Annotated[int, Field(ge=1)] = 100
    assumption: bool = False  # the source does not give the formula


class _Schedule(Document):
    """A day and hour of the month after the period, in the tenant's timezone."""

    day: Annotated[int, Field(ge=1, le=28)]
    hour: Annotated[int, Field(ge=0, le=23)]

    def build(self) -> Schedule:
        return Schedule(self.day, self.hour)


class _Incentive(Document):
    top: Annotated[int, Field(ge=1)]
    reward: Annotated[int, Field(ge=0)]
    penalty_below: Annotated[float, Field(ge=0)]
    penalty: Annotated[int, Field(ge=0)]
    currency: Annotated[str, Field(min_length=3, max_length=3)]


class KpisDoc(Document):
    """Left out (or without KPIs), the tenant has no KPIs and no reconciliation."""

    population: _Population | None = None
    kpis: list[_Kpi] = Field(default_factory=list)
    score: _Score | None = None
    reconciliation: _Schedule | None = None
    appeal_days: Annotated[int, Field(ge=0)] = 0
    incentive: _Incentive | None = None
    # Left out, a quarter is assessed only when a tenant admin asks; it needs the incentive.
    assessment: _Schedule | None = None


def build(doc: KpisDoc) -> Mapping[str, Any]:
    if not doc.kpis or doc.population is None or doc.score is None or doc.reconciliation is None:
        # check() refuses a partial document: only an empty one gets here
        return {"kpi_rules": None}
    incentive = doc.incentive
    return {
        "kpi_rules": KpiRules(
            natures=frozenset(doc.population.natures),
            kpis=tuple(kpi.build() for kpi in doc.kpis),
            weights={code: Decimal(str(weight)) for code, weight in doc.score.weights.items()},
            scale=doc.score.scale,
            score_is_assumption=doc.score.assumption,
            run_day=doc.reconciliation.day,
            run_hour=doc.reconciliation.hour,
            appeal_days=doc.appeal_days,
            incentive=None
            if incentive is None
            else Incentive(
                incentive.top,
                incentive.reward,
                Decimal(str(incentive.penalty_below)),
                incentive.penalty,
                incentive.currency,
            ),
            assessment=None if doc.assessment is None else doc.assessment.build(),
        )
    }


def check(raw: RawDocuments) -> list[Problem]:
    if raw.value(DOC, "kpis") is None:
        return []
    out = [
        Problem(DOC, key, f"KPIs need their {key}", ProblemCode.MISSING_KEY)
        for key in ("population", "score", "reconciliation")
        if raw.value(DOC, key) is None
    ]
    if raw.value(DOC, "assessment") is not None and raw.value(DOC, "incentive") is None:
        message = "a quarter is assessed for its incentive: give the incentive too"
        out.append(Problem(DOC, "incentive", message, ProblemCode.MISSING_KEY))
    natures = Names(list(NATURES), "order nature", "natures")
    population = raw.value(DOC, "population")
    listed = population.get("natures", []) if isinstance(population, dict) else []
    for j, nature in enumerate(listed if isinstance(listed, list) else []):
        out += natures.check(DOC, f"population.natures[{j}]", nature)
    states = raw.names("workflow.yaml", "states", "name")
    clocks = Names(None if states is None else ["response", "closure", *states], "clock", "clocks")
    for i, kpi in raw.items(DOC, "kpis"):
        path = f"kpis[{i}].clock"
        if kpi.get("measure") == Measure.CLOCK.value and kpi.get("clock") is None:
            out.append(Problem(DOC, path, "a clock KPI names its clock", ProblemCode.MISSING_KEY))
        out += clocks.check(DOC, path, kpi.get("clock"))
    out += _revisit_problems(raw)
    codes = Names(raw.names(DOC, "kpis"), "KPI", "kpis")
    score = raw.value(DOC, "score")
    weights = score.get("weights") if isinstance(score, dict) else None
    if isinstance(weights, dict):
        for code in weights:
            out += codes.check(DOC, f"score.weights.{code}", code)
        numbers = [w for w in weights.values() if isinstance(w, (int, float))]
        if len(numbers) == len(weights) and abs(sum(numbers) - 1) > 1e-9:
            message = f"the weights add up to {sum(numbers):g}, not 1"
            out.append(Problem(DOC, "score.weights", message, ProblemCode.INVALID_VALUE))
    return out + raw.duplicates(DOC, "kpis", "code")


def _revisit_problems(raw: RawDocuments) -> list[Problem]:
    """A satisfaction KPI names the revisits.yaml results it counts. A revisit KPI of a profile
    without revisits is allowed: it counts no order, as a tenant that stopped revisiting would."""
    out = []
    results = Names(raw.names("revisits.yaml", "results", "code"), "revisit result", "results")
    for i, kpi in raw.items(DOC, "kpis"):
        measure = kpi.get("measure")
        satisfied = kpi.get("satisfied")
        if measure == Measure.SATISFACTION.value and not satisfied:
            message = "a satisfaction KPI names the revisit results counted as satisfied"
            out.append(Problem(DOC, f"kpis[{i}].satisfied", message, ProblemCode.MISSING_KEY))
        for j, code in enumerate(satisfied if isinstance(satisfied, list) else []):
            out += results.check(DOC, f"kpis[{i}].satisfied[{j}]", code)
    return out


KIND = DocumentKind(DOC, KpisDoc, build, check, required=False)
