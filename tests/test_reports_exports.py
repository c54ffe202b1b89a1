"""Excel exports of the hand-built orders (reports_world.py), opened with openpyxl: exactly the
filtered rows, Chinese headers, local times, phones masked for a role without customer.pii, and
the analysis workbook's charts."""

from __future__ import annotations

import zipfile
from datetime import datetime

import openpyxl
import pytest
from reports_world import build
from sqlalchemy import func, select
from support import make_world

from server.db.models import CustomerAccess, WorkOrder
from server.domain.errors import InvalidInputError, NotFoundError
from server.services import exports, queries

HEADERS = [
    "工单编号",
    "登记时间",
    "经销商",
    "渠道",
    "类型",
    "类别",
    "等级",
    "层级",
    "状态",
    "客户",
    "电话",
    "摘要",
    "处理完成时间",
    "结案时间",
]
# The dealers' side may not see the customer's phones here (the base policy lets them).
NO_PII = {"add": [], "remove": [{"role": "operator", "permission": "customer.pii"}]}


@pytest.fixture
async def world(database):
    world = await make_world(database, policy=NO_PII)
    world.orders = await build(world)
    return world


def rows(path) -> list[tuple]:
    # A read-only workbook holds its file open until closed (a ResourceWarning under GC).
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [tuple(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


async def test_the_order_export_holds_exactly_the_filtered_rows_masked_for_the_se(world, tmp_path):
    se = await world.caller("se")
    path = tmp_path / "orders.xlsx"
    where = queries.OrderFilter(states=["in_progress"])
    assert await exports.export_orders(se, where, path) == 2
    header, *body = rows(path)
    assert list(header) == HEADERS
    numbers = {r[0] for r in body}
    assert len(numbers) == 2
    o2 = next(r for r in body if r[2] == "dlr-a")
    assert o2[1] == datetime(2026, 10, 3, 23, 30)  # Shanghai time, as the tenant reads it
    assert o2[3:9] == (
        "400热线来电",
        "投诉类·销售",
        "经销商销售服务",
        "B级",
        "营销大区(RBO)",
        "处理中",
    )
    assert o2[10] == "+86138****5678"  # the brand's se holds no customer.pii (issue 18)
    await se.db.close()


async def test_an_order_is_labelled_by_its_own_profile_version(world, tmp_path):
    # Version 2 renames the category of the orders; they are not migrated, so they stay under the
    # version they were registered with, whose label the export writes (not the bare code).
    before = await world.caller("se")
    await before.db.close()
    profile = before.profile
    code = next(c for c, item in profile.categories.items() if item.label.zh == "经销商销售服务")
    exported = (await world.gql("admin", "ExportProfile"))["exportProfile"]["documents"]
    exported["profile.yaml"]["version"] = "2027.1"
    for category in exported["categories.yaml"]["categories"]:
        if category["code"] == code:
            category["code"], category["label"]["zh"] = f"{code}_v2", "经销商销售服务（新）"
    mapping = {"categories": {code: f"{code}_v2"}}
    imported = await world.gql("admin", "ImportProfile", documents=exported, mapping=mapping)
    assert imported["importProfile"]["version"] == "2027.1", imported
    se = await world.caller("se")
    assert code not in se.profile.categories
    path = tmp_path / "orders.xlsx"
    assert await exports.export_orders(se, queries.OrderFilter(states=["in_progress"]), path) == 2
    _, *body = rows(path)
    assert {r[5] for r in body} >= {"经销商销售服务"} and code not in {r[5] for r in body}
    await se.db.close()


async def test_a_manager_without_customer_pii_gets_masked_phones_of_their_dealer(world, tmp_path):
    manager = await world.caller("manager_a")
    path = tmp_path / "orders.xlsx"
    assert await exports.export_orders(manager, queries.OrderFilter(), path) == 5
    _, *body = rows(path)
    assert {r[2] for r in body} == {"dlr-a"}
    assert {r[10] for r in body} == {"+86138****5678"}
    await manager.db.close()


async def test_an_export_of_nothing_is_a_workbook_with_its_headers(world, tmp_path):
    se = await world.caller("se")
    path = tmp_path / "none.xlsx"
    assert await exports.export_orders(se, queries.OrderFilter(categories=["A4e"]), path) == 0
    assert rows(path) == [tuple(HEADERS)]
    await se.db.close()


async def test_bad_export_input_is_refused_and_nothing_written(world, tmp_path):
    manager = await world.caller("manager_a")
    path = tmp_path / "refused.xlsx"
    with pytest.raises(NotFoundError):
        await exports.export_orders(
            manager, queries.OrderFilter(org_unit_id=world.units["/west/dlr-c"]), path
        )
    with pytest.raises(InvalidInputError):
        await exports.export_analysis(manager, "2026-1", None, path)
    assert not path.exists()
    await manager.db.close()


async def test_the_analysis_workbook_has_its_figures_and_charts(world, tmp_path):
    se = await world.caller("se")
    path = tmp_path / "analysis.xlsx"
    await exports.export_analysis(se, "2026-10", None, path)
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == ["概要", "按类别", "按类型", "按渠道", "根本原因", "每日趋势"]
    summary = [tuple(r) for r in book["概要"].iter_rows(values_only=True)]
    assert summary[2] == ("工单总数", 6, 1, 5)
    by_category = [tuple(r) for r in book["按类别"].iter_rows(values_only=True)]
    assert by_category[1:] == [
        ("经销商销售服务", 4),
        ("因总部促销政策/活动变更产生的投诉", 1),
        ("资源", 1),
    ]
    trend = [tuple(r) for r in book["每日趋势"].iter_rows(values_only=True)]
    book.close()
    assert len(trend) == 1 + 31 and trend[3] == ("2026-10-03", 2, 0, 0)
    with zipfile.ZipFile(path) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 4  # by category, type and channel, and the daily trend
    await se.db.close()


async def test_phones_a_logged_role_exports_unmasked_are_in_the_access_log(database, tmp_path):
    # A tenant's policy may let its SE see phones (customer.pii); the base policy logs its reads
    # (customer.pii.logged), so every row written unmasked is logged, as on screen.
    se_pii = {"add": [{"role": "se", "permission": "customer.pii"}], "remove": []}
    world = await make_world(database, policy=se_pii)
    world.orders = await build(world)
    se = await world.caller("se")
    where = queries.OrderFilter(states=["in_progress"])
    assert await exports.export_orders(se, where, tmp_path / "orders.xlsx") == 2
    _, *body = rows(tmp_path / "orders.xlsx")
    assert {r[10] for r in body} == {"+8613812345678"}  # unmasked
    async with se.db.read() as session:
        logged = (
            await session.execute(
                select(CustomerAccess.user_id, WorkOrder.number).join(
                    WorkOrder, WorkOrder.id == CustomerAccess.work_order_id
                )
            )
        ).all()
    assert sorted(logged) == sorted((se.user_id, r[0]) for r in body)
    manager = await world.caller("manager_a")  # not a logged role: nothing added
    await exports.export_orders(manager, queries.OrderFilter(), tmp_path / "all.xlsx")
    async with se.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(CustomerAccess)) == 2
    await se.db.close()
    await manager.db.close()
