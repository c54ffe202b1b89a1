"""Excel exports: the order list with the caller's filter, the monthly analysis with its charts,
and a cadence report. Headers and labels in the tenant's language, instants in its timezone,
phones masked unless the caller may see the customer's details at the order's dealer.

The orders stream from the database in batches (a server-side cursor on PostgreSQL) into a
constant-memory workbook (server/adapters/workbooks.py), so memory stays flat as rows grow; each
row is a tuple of pre-resolved labels, with no per-row query or permission look-up beyond a dict
(bench/README.md, reports)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from server.adapters.workbooks import Column, Sheet, Workbook
from server.db.models import Customer, CustomerPhone, WorkOrder
from server.db.session import stream_rows
from server.domain.identifiers import mask_phone
from server.domain.workflow import Label
from server.profiles import Profile
from server.services import analysis, cadence, customer_access, queries, report_scope, visibility
from server.services.caller import Caller

BATCH = 2_000
Progress = Callable[[int], None]  # told the rows written so far (the CLI draws a bar)


def _text(profile: Profile, label: Label) -> str:
    return label.zh if profile.language.startswith("zh") else label.en


def _columns(profile: Profile) -> list[Column]:
    def c(zh: str, en: str, width: int, instant: bool = False) -> Column:
        return Column(_text(profile, Label(zh, en)), width, instant)

    return [
        c("工单编号", "Number", 22),
        c("登记时间", "Registered", 17, True),
        c("经销商", "Dealer", 18),
        c("渠道", "Channel", 12),
        c("类型", "Type", 12),
        c("类别", "Category", 22),
        c("等级", "Grade", 8),
        c("层级", "Tier", 12),
        c("状态", "State", 12),
        c("客户", "Customer", 12),
        c("电话", "Phone", 17),
        c("摘要", "Summary", 40),
        c("处理完成时间", "Handled", 17, True),
        c("结案时间", "Closed", 17, True),
    ]


def _labels(profile: Profile, items: Mapping[str, Any]) -> dict[str | None, str]:
    out: dict[str | None, str] = {code: _text(profile, item.label) for code, item in items.items()}
    out[None] = ""
    return out


async def export_orders(
    caller: Caller, where: queries.OrderFilter, path: Path, *, progress: Progress | None = None
) -> int:
    """Writes the orders the caller's filter selects to `path`; returns how many (0 still gives a
    workbook with its headers)."""
    queries.check_instants(where)
    report_scope.unit_path(caller, where.org_unit_id)
    profile = caller.profile
    # The customer's first phone, by a correlated look-up on its index (one row per order).
    phone = (
        select(CustomerPhone.number)
        .where(CustomerPhone.customer_id == WorkOrder.customer_id)
        .order_by(CustomerPhone.id)
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(
            WorkOrder.number,
            WorkOrder.registered_at,
            WorkOrder.org_unit_id,
            WorkOrder.channel,
            WorkOrder.order_type,
            WorkOrder.category,
            WorkOrder.grade,
            WorkOrder.tier,
            WorkOrder.state,
            Customer.name,
            phone,
            WorkOrder.summary,
            WorkOrder.handled_at,
            WorkOrder.closed_at,
            WorkOrder.org_path,
            WorkOrder.customer_id,
            WorkOrder.id,
            WorkOrder.profile_version,
        )
        .join(Customer, Customer.id == WorkOrder.customer_id)
        .where(queries.visible(caller))
        .order_by(WorkOrder.id)
    )
    query = queries.sla_filtered(caller, query, where)
    row = _row_maker(caller)
    book = Workbook(path)
    try:
        sheet = book.sheet(_text(profile, Label("工单", "Orders")), _columns(profile))
        async with caller.db.read() as session:
            query = await queries.filtered(session, query, where)
            result = await stream_rows(session, query, batch=BATCH)
            # The workbook takes a batch in a thread while the next one is fetched: the cursor's
            # round trips overlap the writing (bench/README.md, reports).
            writing: asyncio.Future[int] | None = None
            async for batch in result.partitions():
                rows = [row(r) for r in batch]
                if writing is not None:
                    await writing
                    if progress is not None:
                        progress(sheet.rows)
                writing = asyncio.ensure_future(asyncio.to_thread(sheet.write, rows))
            if writing is not None:
                await writing
                if progress is not None:
                    progress(sheet.rows)
    finally:
        await asyncio.to_thread(book.close)
        # Every phone written unmasked is a read the policy may log, as on screen (issue 18).
        await customer_access.record(caller)
    return sheet.rows


@dataclass(frozen=True)
class _CodeLabels:
    """The labels of one profile version's codes, as the export writes them."""

    channels: Mapping[str | None, str]
    types: Mapping[str | None, str]
    categories: Mapping[str | None, str]
    grades: Mapping[str | None, str]
    tiers: Mapping[str | None, str]
    states: Mapping[str | None, str]

    @classmethod
    def of(cls, profile: Profile) -> _CodeLabels:
        return cls(
            channels=_labels(profile, profile.channels),
            types=_labels(profile, profile.order_types),
            categories=_labels(profile, profile.categories),
            grades=_labels(profile, profile.grades),
            tiers=_labels(profile, profile.tiers),
            states={s.name: _text(profile, s.label) for s in profile.workflow.states},
        )


def _row_maker(caller: Caller) -> Callable[[Any], tuple[Any, ...]]:
    """The row as written: every code a label, every instant local and naive (Excel has no zone),
    the phone masked where the caller may not see it; look-ups by dict, decided once per path."""
    zone = ZoneInfo(caller.profile.timezone)
    dealers = {i: unit.name for i, unit in caller.tenant.units.items()}
    unmasked: dict[str, tuple[bool, bool]] = {}  # path -> (shown, logged)
    # An order's codes are labelled as its own profile version labels them: a later version may
    # have renamed or dropped them (docs/architecture.md, profile versions).
    versions: dict[str, _CodeLabels] = {}

    def local(at: datetime | None) -> datetime | None:
        return at.astimezone(zone).replace(tzinfo=None) if at is not None else None

    def row(r: Any) -> tuple[Any, ...]:
        path = r[14]
        decided = unmasked.get(path)
        if decided is None:
            decided = unmasked[path] = visibility.sees_customers_at(caller, path)
        shown, logged = decided
        number = r[10]
        if shown and logged and number:
            caller.revealed.add((r[15], r[16]))
        labels = versions.get(r[17])
        if labels is None:
            labels = versions[r[17]] = _CodeLabels.of(caller.tenant.profile_of(r))
        return (
            r[0],
            local(r[1]),
            dealers.get(r[2], ""),
            labels.channels.get(r[3], r[3]),
            labels.types.get(r[4], r[4]),
            labels.categories.get(r[5], r[5]),
            labels.grades.get(r[6], r[6]),
            labels.tiers.get(r[7], r[7]),
            labels.states.get(r[8], r[8]),
            r[9],
            (number if shown else mask_phone(number)) if number else None,
            r[11],
            local(r[12]),
            local(r[13]),
        )

    return row


async def export_analysis(
    caller: Caller, period: str, org_unit_id: int | None, path: Path
) -> dict[str, Any]:
    """The monthly analysis as a workbook with a chart by category and one of the daily trend."""
    figures = await analysis.complaint_analysis(caller, period, org_unit_id)
    await asyncio.to_thread(write_analysis, caller.profile, figures, path)
    return figures


async def export_report(caller: Caller, report_id: int, path: Path) -> None:
    """A produced cadence report, as the analysis workbook of its period."""
    report = await cadence.get_report(caller, report_id)
    await asyncio.to_thread(write_analysis, caller.profile, report.figures, path)


def write_analysis(profile: Profile, figures: Mapping[str, Any], path: Path) -> None:
    def t(zh: str, en: str) -> str:
        return _text(profile, Label(zh, en))

    book = Workbook(path)
    try:
        _summary(book, profile, figures)
        for title, items, counts in (
            (t("按类别", "By category"), profile.categories, figures["by_category"]),
            (t("按类型", "By type"), profile.order_types, figures["by_type"]),
            (t("按渠道", "By channel"), profile.channels, figures["by_channel"]),
        ):
            labels = _labels(profile, items)
            sheet = book.sheet(title, [Column(title, 24), Column(t("工单数", "Orders"), 10)])
            sheet.write([(labels.get(code, code), n) for code, n in counts.items()])
            book.column_chart(sheet, title=title, rows=max(sheet.rows, 1), at="D2")
        causes = book.sheet(
            t("根本原因", "Root causes"),
            [Column(t("原因", "Cause"), 50), Column(t("工单数", "Orders"), 10)],
        )
        causes.write([(c["cause"], c["count"]) for c in figures["root_causes"]])
        trend = book.sheet(
            t("每日趋势", "Daily trend"),
            [
                Column(t("日期", "Day"), 12),
                Column(t("登记", "Registered"), 10),
                Column(t("处理完成", "Handled"), 10),
                Column(t("结案", "Closed"), 10),
            ],
        )
        trend.write(
            [(d["day"], d["registered"], d["handled"], d["closed"]) for d in figures["trend"]]
        )
        book.line_chart(
            trend, title=t("每日趋势", "Daily trend"), rows=max(trend.rows, 1), series=3, at="F2"
        )
    finally:
        book.close()


def _summary(book: Workbook, profile: Profile, figures: Mapping[str, Any]) -> Sheet:
    def t(zh: str, en: str) -> str:
        return _text(profile, Label(zh, en))

    sheet = book.sheet(
        t("概要", "Summary"),
        [
            Column(t("指标", "Figure"), 28),
            Column(t("本期", "This period"), 14),
            Column(t("上期", "Previous"), 14),
            Column(t("环比", "Change"), 10),
        ],
    )
    previous, change = figures["previous"], figures["change"]
    response, closure = figures["response"], figures["closure"]
    revisits = figures["revisits"]
    sheet.write(
        [
            (t("期间", "Period"), figures["period"], None, None),
            (t("工单总数", "Orders"), figures["total"], previous["total"], change["total"]),
            (
                t("重复投诉率", "Repeat rate"),
                figures["repeat_rate"],
                previous["repeat_rate"],
                change["repeat_rate"],
            ),
            (
                t("升级率", "Escalation rate"),
                figures["escalation_rate"],
                previous["escalation_rate"],
                change["escalation_rate"],
            ),
            (
                t("响应时间中位数（工作分钟）", "Response, median (business minutes)"),
                response["median"],
                previous["response_median"],
                change["response_median"],
            ),
            (
                t("响应时间P90（工作分钟）", "Response, p90 (business minutes)"),
                response["p90"],
                None,
                None,
            ),
            (
                t("结案时间中位数（工作分钟）", "Closure, median (business minutes)"),
                closure["median"],
                previous["closure_median"],
                change["closure_median"],
            ),
            (
                t("结案时间P90（工作分钟）", "Closure, p90 (business minutes)"),
                closure["p90"],
                None,
                None,
            ),
            (t("回访数", "Revisits"), revisits["count"], None, None),
            (t("回访满意率", "Revisit satisfaction"), revisits["satisfied_rate"], None, None),
        ]
    )
    return sheet
