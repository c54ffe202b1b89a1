"""The quarterly assessment: scores from the quarter's three monthly statements, ranked within each
region with a tie broken by deliveries, five rewards in a region of eight dealers and a penalty
under 40, frozen as a finance statement; deliveries imported through GraphQL and a CSV with every
bad row reported at once and nothing written."""

from __future__ import annotations

import asyncio

import pytest
from kpi_quarter import DELIVERIES, QUARTER, import_deliveries, quarter_world
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from support import make_world

from complaintdesk import cli
from schema.ids import encode, key
from server.db.models import KpiDelivery, KpiRankingLine


def _gid_codes(world, codes):
    return lambda gid: codes[key("OrgUnit", gid)]


async def _counts(world):
    async with world.database.reader(world.tenant_id) as session:
        return [
            await session.scalar(select(func.count()).select_from(model))
            for model in (KpiDelivery, KpiRankingLine)
        ]


async def test_a_quarter_ranks_eight_dealers_rewards_five_and_fines_one_under_40(
    database, tmp_path, monkeypatch, capsys
):
    world, codes = await quarter_world(database)
    code_of = _gid_codes(world, codes)
    missing = (await world.gql("se", "QuarterlyRanking", quarter=QUARTER))["quarterlyRanking"]
    assert missing["__typename"] == "ValidationError"
    assert missing["fields"] == [
        {
            "path": ["quarter"],
            "message": "no deliveries imported for "
            "2026-Q1 for the dealers d1, d2, d3, d4, d5, d6, dlr-a, dlr-b, "
            "dlr-c",
        }
    ]
    # Every bad row at once, by row and column; nothing stored.
    rows = [
        {"dealer": "dlr-a", "deliveries": 1},
        {"dealer": "nowhere", "deliveries": 1},
        {"dealer": "dlr-b", "deliveries": -3},
        {"dealer": "dlr-a", "deliveries": 2},
    ]
    bad = (await world.gql("admin", "ImportDeliveries", input={"quarter": QUARTER, "rows": rows}))[
        "importDeliveries"
    ]
    assert [f["path"] for f in bad["fields"]] == [
        ["rows", "1", "dealer"],
        ["rows", "2", "deliveries"],
        ["rows", "3", "dealer"],
    ]
    one = {"quarter": QUARTER, "rows": rows[:1]}
    denied = await world.gql("se", "ImportDeliveries", input=one)
    assert denied["importDeliveries"]["permission"] == "kpi.reconcile"
    assert await _counts(world) == [0, 0]

    monkeypatch.setenv("DATABASE_URL", database.url)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("dealer,deliveries\ndlr-a,12\nghost,3\ndlr-b,many\n", encoding="utf-8")
    argv = ["deliveries", "--tenant", world.slug, "--quarter", QUARTER, "--file"]
    capsys.readouterr()
    assert await asyncio.to_thread(cli.main, [*argv, str(wrong)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "refused: line 3, column dealer: no dealer with the code 'ghost'",
        "refused: line 4, column deliveries: 'many' is not a whole number of vehicles from 0",
    ]
    assert await _counts(world) == [0, 0]
    good = tmp_path / "good.csv"
    good.write_text(
        "dealer,deliveries\n" + "".join(f"{c},{n}\n" for c, n in DELIVERIES.items()),
        encoding="utf-8",
    )
    assert await asyncio.to_thread(cli.main, [*argv, str(good)]) == 0
    assert capsys.readouterr().out.strip() == "2026-Q1: deliveries of 9 dealers stored"

    assessed = await world.gql("admin", "AssessQuarter", input={"quarter": QUARTER})
    ranking = assessed["assessQuarter"]
    assert ranking["__typename"] == "QuarterlyRanking" and ranking["statementId"]
    got = {
        code_of(line["dealerId"]): (
            line["rank"],
            line["score"],
            line["deliveries"],
            line["reward"],
            line["penalty"],
        )
        for line in ranking["lines"]
    }
    assert got == {
        "d6": (1, "100.00", 5, 10000, 0),
        "dlr-a": (2, "90.00", 50, 10000, 0),
        "d1": (3, "80.00", 41, 10000, 0),  # the tie with b: more deliveries
        "dlr-b": (4, "80.00", 40, 10000, 0),
        "d2": (5, "70.00", 30, 10000, 0),
        "d3": (6, "60.00", 30, 0, 0),
        "d4": (7, "50.00", 20, 0, 0),
        "d5": (8, "30.00", 10, 0, 10000),  # under 40
        "dlr-c": (1, "40.00", 70, 10000, 0),  # alone in the west; 40 is not under 40
    }
    assert ranking["currency"] == "CNY"
    again = await world.gql("admin", "AssessQuarter", input={"quarter": QUARTER})
    assert again["assessQuarter"]["statementId"] == ranking["statementId"]
    # Frozen: deliveries of an assessed quarter are refused; the ranking keeps its figures.
    correction = {"quarter": QUARTER, "rows": [{"dealer": "dlr-b", "deliveries": 99}]}
    late = await world.gql("admin", "ImportDeliveries", input=correction)
    assert [f["path"] for f in late["importDeliveries"]["fields"]] == [["quarter"]]
    assert await _counts(world) == [9, 9]

    mine = (await world.gql("manager_a", "QuarterlyRanking", quarter=QUARTER))["quarterlyRanking"]
    assert [code_of(line["dealerId"]) for line in mine["lines"]] == ["dlr-a"]
    east = (await world.gql("rbo_east", "QuarterlyRanking", quarter=QUARTER))["quarterlyRanking"]
    assert len(east["lines"]) == 8
    west = encode("OrgUnit", world.units["/west"])
    only = await world.gql("se", "QuarterlyRanking", quarter=QUARTER, regionId=west)
    assert [code_of(line["dealerId"]) for line in only["quarterlyRanking"]["lines"]] == ["dlr-c"]
    hidden = await world.gql("rbo_east", "QuarterlyRanking", quarter=QUARTER, regionId=west)
    assert [f["path"] for f in hidden["quarterlyRanking"]["fields"]] == [["regionId"]]


async def test_a_quarter_with_a_month_not_reconciled_is_refused(database):
    world = await make_world(database)
    refused = await world.gql("admin", "AssessQuarter", input={"quarter": QUARTER})
    result = refused["assessQuarter"]
    assert result["fields"] == [
        {
            "path": ["quarter"],
            "message": "2026-01, 2026-02, 2026-03 not "
            "reconciled yet: a quarter is assessed from 3 months",
        }
    ]
    wrong = await world.gql("admin", "AssessQuarter", input={"quarter": "2026-Q5"})
    assert [f["path"] for f in wrong["assessQuarter"]["fields"]] == [["quarter"]]
    assert await _counts(world) == [0, 0]


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_the_tenant_role_cannot_update_or_delete_appeals_or_rankings(database):
    world, _ = await quarter_world(database)
    await import_deliveries(world)
    await world.gql("admin", "AssessQuarter", input={"quarter": QUARTER})
    for table in ("kpi_ranking_lines", "kpi_appeals", "kpi_appeal_decisions"):
        for statement in (f"UPDATE {table} SET tenant_id = tenant_id", f"DELETE FROM {table}"):
            with pytest.raises(DBAPIError, match="permission denied"):
                async with database.writer(world.tenant_id) as session, session.begin():
                    await session.execute(text(statement))
    assert await _counts(world) == [9, 9]
