"""The reports through the contract's operations and the download endpoint: the widened board,
the analysis, the order export's link fetched over HTTP with the same bearer token, refusals."""

from __future__ import annotations

import base64
import io
import json

import httpx
import openpyxl
from conftest import TEST_SETTINGS
from reports_world import build
from support import make_world

from complaintdesk.app import create_app
from schema.ids import encode
from server.security.auth import Claims, mint


def client(database) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(TEST_SETTINGS, database))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


def bearer(world, who: str) -> dict[str, str]:
    token = mint(TEST_SETTINGS, Claims(str(world.users[who]), world.tenant_id, False))
    return {"Authorization": f"Bearer {token}"}


async def test_the_widened_board_and_the_analysis_through_graphql(database):
    world = await make_world(database)
    await build(world)
    data = await world.gql("rbo_east", "BoardFigures", **{"from": "2026-10-03", "to": "2026-10-06"})
    board = data["board"]
    assert board["open"] == 4
    assert board["clockStatus"] == {"onTime": 1, "dueSoon": 1, "breached": 1, "stopped": 1}
    assert {c["code"]: c["count"] for c in board["byGrade"]} == {"A": 2, "B": 1, "C": 1, None: 0}
    assert [o["state"] for o in board["overdue"]] == ["unprocessed"]
    assert [d["registered"] for d in board["trend"]["days"]] == [2, 1, 2, 0]
    data = await world.gql("se", "BoardFigures", **{"from": "2025-01-01", "to": "2026-02-01"})
    assert data["board"]["trend"]["__typename"] == "ValidationError"
    data = await world.gql("manager_a", "ComplaintAnalysis", period="2026-10")
    found = data["complaintAnalysis"]
    assert found["total"] == 4 and found["response"] == {"count": 4, "median": 60, "p90": 120}
    assert found["exportUrl"] == "/exports/analysis.xlsx?period=2026-10"
    outside = world.dealer_gid("c")
    data = await world.gql("manager_a", "ComplaintAnalysis", period="2026-10", orgUnitId=outside)
    assert data["complaintAnalysis"]["__typename"] == "NotFound"


async def test_the_order_export_link_downloads_the_filtered_rows(database):
    world = await make_world(database)
    await build(world)
    data = await world.gql("se", "OrderExport", filter={"states": ["in_progress"]})
    url = data["orderExport"]["url"]
    async with client(database) as http:
        response = await http.get(url, headers=bearer(world, "se"))
        refused = await http.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    assert len(list(sheet.iter_rows(values_only=True))) == 1 + 2
    assert refused.status_code == 401


async def test_bad_download_input_answers_the_refused_field(database):
    world = await make_world(database)
    unknown = base64.urlsafe_b64encode(json.dumps({"colour": "red"}).encode()).decode()
    outside = encode("OrgUnit", world.units["/west/dlr-c"])
    async with client(database) as http:
        headers = bearer(world, "manager_a")
        field = await http.get(f"/exports/orders.xlsx?filter={unknown}", headers=headers)
        month = await http.get("/exports/analysis.xlsx?period=2026-13", headers=headers)
        scope = await http.get(
            f"/exports/analysis.xlsx?period=2026-10&orgUnitId={outside}", headers=headers
        )
    assert field.status_code == 400
    assert field.json()["fields"][0]["path"] == ["filter", "colour"]
    assert month.status_code == 400 and month.json()["fields"][0]["path"] == ["period"]
    assert scope.status_code == 404
    data = await world.gql("manager_a", "OrderExport", filter={"orgUnitId": outside})
    assert data["orderExport"]["__typename"] == "NotFound"
    data = await world.gql("se", "CadenceReports", kind="weekly_nonsense")
    assert data["reports"]["__typename"] == "ValidationError"
