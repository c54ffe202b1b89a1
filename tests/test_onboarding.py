"""Onboarding an OEM with no code: the platform admin's onboardTenant from a profile and two CSV
files (validated whole, every problem with its file, row and column; one transaction or nothing),
the tenants list and deactivateTenant; the shipped templates and the command line."""

from __future__ import annotations

import base64
import copy
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from support import make_world, op

from schema.app import schema
from schema.context import Context
from server.db.models import Base, Tenant
from server.profiles import bundled_profile_path, read_profile_dir
from server.security.auth import Claims
from server.services import onboarding, onboarding_files
from server.services.caller import UnknownPrincipalError, tenant_caller
from server.services.platform import PlatformCaller

TEMPLATES = Path(__file__).resolve().parents[1] / "policies" / "onboarding"
REGIONS = ("east", "south", "north")


async def platform_gql(database, operation: str, **variables: Any) -> dict[str, Any]:
    context = Context(None, "t", platform=PlatformCaller("ops", database))
    result = await schema.execute(op(operation), variable_values=variables, context_value=context)
    assert result.errors is None, result.errors
    return result.data


def b64(text: str, encoding: str = "utf-8") -> str:
    return base64.b64encode(text.encode(encoding)).decode()


def org_csv() -> str:
    """3 regions and 20 dealers, one region with its own timezone and hours (lunch 12:00-13:30)."""
    rows = ["code,parent,kind,name,timezone,working_hours,working_weekdays"]
    rows += [f"{r},,region,{r} 大区,,," for r in REGIONS]
    rows[-1] = "north,,region,华北大区,Asia/Harbin,08:30-12:00 13:30-17:30,0 1 2 3 4 5"
    rows += [f"dlr-{n:02},{REGIONS[n % 3]},dealer,经销商{n:02},,," for n in range(20)]
    return "\n".join(rows) + "\n"


def users_csv() -> str:
    """60 users: admin, se, 2 operators, 3 rbos, a care specialist and a manager per dealer,
    13 gms."""
    rows = ["login,name,email,role,org_unit", "admin,管理员,admin@oem.example,tenant_admin,"]
    rows += ["se,王工,,se,", "csc-1,客服一,,operator,", "csc-2,客服二,,operator,"]
    rows += [f"rbo-{r},{r} RBO,,rbo,{r}" for r in REGIONS]
    for n in range(20):
        rows += [
            f"care-{n:02},专员{n:02},,care_specialist,dlr-{n:02}",
            f"mgr-{n:02},经理{n:02},,manager,dlr-{n:02}",
        ]
    rows += [f"gm-{n:02},总经理{n:02},,gm,dlr-{n:02}" for n in range(13)]
    return "\n".join(rows) + "\n"


def sixth_profile(code: str) -> dict[str, Any]:
    """A copy of the Skoda profile with other grades (labels, and A4a graded B), deadlines (first
    contact in 60 business minutes, a B order closed in 5 working days) and routing (A4a from the
    dealer straight to the brand's SE)."""
    documents = copy.deepcopy(read_profile_dir(bundled_profile_path("skoda")))
    documents["profile.yaml"]["name"] = code
    documents["profile.yaml"]["version"] = "2027.1"
    for grade in documents["grades.yaml"]["grades"]:
        grade["label"] = {"zh": f"{grade['code']}类", "en": f"Class {grade['code']}"}
    for clock in documents["deadlines.yaml"]["clocks"]:
        if clock["clock"] == "response":
            clock["target"] = 60
        if clock["clock"] == "closure" and clock["applies_to"]["grades"] == ["B"]:
            clock["target"] = 5
    for category in documents["categories.yaml"]["categories"]:
        if category["code"] == "A4a":
            category["grade"], category["routing"] = "B", ["DLR", "SALES_SE"]
    for tier in documents["routing.yaml"]["tiers"]:
        tier["label"] = {"zh": tier["label"]["zh"] + "（新）", "en": tier["label"]["en"] + " (new)"}
    return documents


async def everything(database) -> dict[str, int]:
    async with database.platform() as session:
        return {
            t.name: await session.scalar(select(func.count()).select_from(t))
            for t in Base.metadata.sorted_tables
        }


async def caller_of(database, tenant_id: int, username: str):
    async with database.reader(tenant_id) as session:
        from server.db.models import User

        user_id = await session.scalar(select(User.id).where(User.username == username))
    return await tenant_caller(database, Claims(str(user_id), tenant_id, False))


async def gql_as(caller, operation: str, **variables: Any) -> dict[str, Any]:
    try:
        result = await schema.execute(
            op(operation), variable_values=variables, context_value=Context(caller, "t")
        )
    finally:
        await caller.db.close()
    assert result.errors is None, result.errors
    return result.data


async def test_a_sixth_tenant_is_onboarded_from_csv_and_walks_its_flow(database):
    slug = f"oem-{uuid.uuid4().hex[:6]}"
    documents = sixth_profile("oem6")
    sent = {
        "slug": slug,
        "name": "第六品牌",
        "profileDocuments": documents,
        "orgCsv": b64(org_csv()),
        "usersCsv": b64(users_csv()),
    }
    done = (await platform_gql(database, "OnboardTenant", input=sent))["onboardTenant"]
    assert done["__typename"] == "TenantPayload", done
    tenant = done["tenant"]
    assert (tenant["orgUnits"], tenant["dealers"], tenant["users"], tenant["profileName"]) == (
        24,
        20,
        60,
        "oem6",
    )
    listed = {t["slug"]: t for t in (await platform_gql(database, "Tenants"))["tenants"]["nodes"]}
    assert listed[slug]["users"] == 60 and listed[slug]["active"]
    async with database.platform() as session:
        tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == slug))

    operator = await caller_of(database, tenant_id, "csc-1")
    dealers = (await gql_as(operator, "OrgUnits", kind="dealer"))["orgUnits"]["nodes"]
    assert len(dealers) == 20
    north = next(d for d in dealers if d["path"] == f"/{slug}/north/dlr-02")
    catalogue = (await gql_as(await caller_of(database, tenant_id, "csc-1"), "Catalogue"))[
        "catalogue"
    ]
    assert {g["label"]["en"] for g in catalogue["grades"]} == {"Class A", "Class B", "Class C"}
    registration = {
        "dealerId": north["id"],
        "customer": {"name": "王先生", "phones": ["13812345678"]},
        "vehicle": {"vin": "LSVJETH8171PG8B14", "model": "明锐"},
        "channel": "hotline_400",
        "category": "A4a",
        "summary": "销售顾问承诺的赠品未兑现",
        "details": "客户称：提车时销售顾问承诺赠送脚垫，至今未兑现。",
    }
    order = (
        await gql_as(
            await caller_of(database, tenant_id, "csc-1"), "RegisterComplaint", input=registration
        )
    )["registerComplaint"]
    assert order["__typename"] == "WorkOrderPayload", order
    order = order["order"]
    assert order["number"] and order["state"] == "unprocessed"
    care = await caller_of(database, tenant_id, "care-02")
    reviewed = await gql_as(
        care,
        "TransitionWorkOrder",
        input={"id": order["id"], "expectedVersion": 1, "transition": "review"},
    )
    assert reviewed["transitionWorkOrder"]["order"]["state"] == "in_progress"
    handlers = (
        await gql_as(
            await caller_of(database, tenant_id, "mgr-02"), "Users", role="care_specialist"
        )
    )["users"]
    assert [n["user"]["username"] for n in handlers["nodes"]] == ["care-02"]
    detail = (
        await gql_as(await caller_of(database, tenant_id, "mgr-02"), "OrderDetail", id=order["id"])
    )["workOrder"]
    targets = {c["name"]: c["target"] for c in detail["clocks"]}
    # The sixth tenant's grade and deadlines, not Skoda's (A; 120 minutes; 3 working days).
    assert (detail["grade"], targets["response"], targets["closure"]) == ("B", 60, 5)
    escalated = await gql_as(
        await caller_of(database, tenant_id, "mgr-02"),
        "EscalateWorkOrder",
        input={"id": order["id"], "expectedVersion": 2, "reason": "经销商无法解决"},
    )
    assert escalated["escalateWorkOrder"]["order"]["tier"] == "SALES_SE"  # its routing: no RBO
    close = {"id": order["id"], "expectedVersion": 3, "resolution": "补发脚垫"}
    closed = await gql_as(await caller_of(database, tenant_id, "se"), "CloseWorkOrder", input=close)
    assert closed["closeWorkOrder"]["order"]["state"] == "handled", closed
    confirm = {"id": order["id"], "expectedVersion": 4, "transition": "confirm"}
    confirmed = await gql_as(
        await caller_of(database, tenant_id, "csc-1"), "TransitionWorkOrder", input=confirm
    )
    assert confirmed["transitionWorkOrder"]["order"]["state"] == "closed", confirmed
    runtime = await caller_of(database, tenant_id, "admin")
    assert runtime.tenant.calendar(f"/{slug}/north/dlr-02").tz.key == "Asia/Harbin"
    await runtime.db.close()


async def test_a_duplicate_dealer_and_an_unknown_role_are_refused_together_and_nothing_is_created(
    database,
):
    before = await everything(database)
    org = org_csv() + "dlr-03,east,dealer,重复,,,\nfar-away,nowhere,dealer,无上级,,,\n"
    users = users_csv().replace("csc-2,客服二,,operator,", "csc-2,客服二,,receptionist,")
    users += "ghost,幽灵,,operator,dlr-99\n"
    sent = {
        "slug": "oem-refused",
        "name": "x",
        "profileName": "skoda",
        "orgCsv": b64(org),
        "usersCsv": b64(users),
    }
    refused = (await platform_gql(database, "OnboardTenant", input=sent))["onboardTenant"]
    assert refused["__typename"] == "ValidationError"
    paths = [f["path"] for f in refused["fields"]]
    assert paths == [
        ["orgCsv", "25", "code"],
        ["orgCsv", "26", "parent"],
        ["usersCsv", "5", "role"],
        ["usersCsv", "62", "org_unit"],
    ], refused["fields"]
    assert "first at row 8" in refused["fields"][0]["message"]
    assert await everything(database) == before


async def test_excel_exports_with_a_bom_or_in_gb18030_are_read_and_other_bytes_are_named(database):
    slug = f"oem-{uuid.uuid4().hex[:6]}"
    org = base64.b64encode(b"\xef\xbb\xbf" + org_csv().encode()).decode()
    sent = {
        "slug": slug,
        "name": "x",
        "profileName": "gtmc",
        "orgCsv": org,
        "usersCsv": b64(users_csv(), "gb18030"),
    }
    done = (await platform_gql(database, "OnboardTenant", input=sent))["onboardTenant"]
    assert done["__typename"] == "TenantPayload", done
    caller = await caller_of(database, (await _tenant_id(database, slug)), "gm-00")
    names = [
        n["user"]["displayName"]
        for n in (await gql_as(caller, "Users", orgUnitId=None))["users"]["nodes"]
    ]
    assert "总经理00" in names

    before = await everything(database)
    garbage = base64.b64encode(bytes(range(128, 256)) * 3).decode()
    huge = base64.b64encode(b"x" * (onboarding_files.CSV_BYTES + 1)).decode()
    sent = {"slug": slug, "name": "x", "profileName": "nope", "orgCsv": garbage, "usersCsv": huge}
    refused = (await platform_gql(database, "OnboardTenant", input=sent))["onboardTenant"]
    messages = {f["path"][0]: f["message"] for f in refused["fields"]}
    assert (
        "GB18030" in messages["orgCsv"]
        and f"{onboarding_files.CSV_BYTES:,}" in messages["usersCsv"]
    )
    assert "exists already" in messages["slug"] and "nope" in messages["profileName"]
    assert await everything(database) == before


async def _tenant_id(database, slug: str) -> int:
    async with database.platform() as session:
        return await session.scalar(select(Tenant.id).where(Tenant.slug == slug))


async def test_only_the_platform_admin_onboards_and_a_deactivated_tenants_tokens_are_refused(
    database,
):
    world = await make_world(database)
    before = await everything(database)
    sent = {
        "slug": "oem-by-admin",
        "name": "x",
        "profileName": "skoda",
        "orgCsv": b64(org_csv()),
        "usersCsv": b64(users_csv()),
    }
    refused = (await world.gql("admin", "OnboardTenant", input=sent))["onboardTenant"]
    assert (refused["__typename"], refused["permission"]) == ("NotPermitted", "platform.tenants")
    assert (await world.gql("admin", "Tenants"))["tenants"]["__typename"] == "NotPermitted"
    gid = next(
        t["id"]
        for t in (await platform_gql(database, "Tenants"))["tenants"]["nodes"]
        if t["slug"] == world.slug
    )
    assert (await world.gql("admin", "DeactivateTenant", input={"id": gid}))["deactivateTenant"][
        "__typename"
    ] == "NotPermitted"
    assert await everything(database) == before

    gone = (await platform_gql(database, "DeactivateTenant", input={"id": gid}))["deactivateTenant"]
    assert gone["tenant"]["active"] is False
    with pytest.raises(UnknownPrincipalError):
        await world.caller("operator")
    assert await everything(database) == {
        **before,
        "directory_events": before["directory_events"] + 1,
    }
    missing = (
        await platform_gql(database, "DeactivateTenant", input={"id": "VGVuYW50Ojk5OTk5OTk"})
    )["deactivateTenant"]
    assert missing["__typename"] == "NotFound"


@pytest.mark.parametrize("operation", ["Worklist", "TenantProfile"])
async def test_a_platform_token_asking_a_tenant_field_is_told_which_token_it_needs(
    database, operation
):
    context = Context(None, "t", platform=PlatformCaller("ops", database))
    result = await schema.execute(op(operation), context_value=context)
    (error,) = result.errors
    assert error.extensions == {"code": "TENANT_TOKEN_REQUIRED"}
    assert "needs a tenant user's token" in error.message


def test_the_shipped_templates_onboard_as_they_are():
    problems = onboarding_files.Problems()
    units = onboarding_files.read_org(
        onboarding_files.read_rows(
            "orgCsv", (TEMPLATES / "org.csv").read_bytes(), onboarding_files.ORG_COLUMNS, problems
        ),
        "/t",
        problems,
    )
    rows = onboarding_files.read_rows(
        "usersCsv", (TEMPLATES / "users.csv").read_bytes(), onboarding_files.USER_COLUMNS, problems
    )
    onboarding_files.read_users(rows, units, "/t", problems)
    assert problems.found == []
    assert "/t/east/dlr-sh-01/aftersales" in units


def test_the_command_line_onboards_from_the_templates_with_progress_and_refuses_with_rows(tmp_path):
    import os
    import subprocess
    import sys

    cli = str(Path(sys.executable).with_name("complaintdesk"))
    root = TEMPLATES.parents[1]
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "JWT_SECRET")
    }
    env["COMPLAINTDESK_VAR"] = str(tmp_path / "var")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [cli, *args], cwd=root, env=env, capture_output=True, text=True, timeout=120
        )

    assert run("migrate").returncode == 0
    bad = tmp_path / "users.csv"
    bad.write_bytes(
        (TEMPLATES / "users.csv")
        .read_text(encoding="utf-8")
        .replace(",se,", ",boss,")
        .encode("gb18030")
    )
    args = [
        "tenant",
        "import",
        "policies/profiles/skoda",
        "--slug",
        "acme",
        "--name",
        "Acme",
        "--org",
        str(TEMPLATES / "org.csv"),
    ]
    refused = run(*args, "--users", str(bad))
    assert (
        refused.returncode != 0
        and f"{bad}: row 3, column role: unknown role 'boss'" in refused.stderr
    )
    done = run(*args, "--users", str(TEMPLATES / "users.csv"))
    assert done.returncode == 0, done.stderr
    # A bar per stage on stderr, redrawn as it advances (text mode reads each redraw as a
    # line) and ended full: validation, then the rows created, level by level for the units.
    bars = done.stderr.splitlines()
    full = "[" + "#" * 30 + "]"
    assert [bar for bar in bars if full in bar] == [
        f"validation {full} 3/3",
        f"org units  {full} 5/5",
        f"users      {full} 6/6",
        f"grants     {full} 7/7",
    ], done.stderr
    assert f"org units  [{'#' * 12}{'.' * 18}] 2/5" in bars
    assert "tenant 'acme' onboarded: 6 org units (2 dealers), 6 users" in done.stdout
    assert run("token", "--tenant", "acme", "--user", "manager-sh-01").returncode == 0


async def test_over_http_a_platform_token_onboards_within_its_body_limit_and_from_no_portal(
    database,
):
    import httpx
    from conftest import TEST_SETTINGS

    from complaintdesk.app import create_app
    from server.security.auth import mint

    token = mint(TEST_SETTINGS, Claims("ops", None, True))
    headers = {"Authorization": f"Bearer {token}"}
    slug = f"oem-{uuid.uuid4().hex[:6]}"
    sent = {
        "slug": slug,
        "name": "x",
        "profileName": "skoda",
        "orgCsv": b64(org_csv()),
        "usersCsv": b64(users_csv() * 40),
    }
    body = {"query": op("OnboardTenant"), "variables": {"input": sent}}
    assert (
        len(str(body)) > TEST_SETTINGS.limits.body_bytes
    )  # more than a tenant's request may carry
    transport = httpx.ASGITransport(app=create_app(TEST_SETTINGS, database))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        foreign = await http.post(
            "/graphql", json=body, headers={**headers, "Origin": "https://evil.example"}
        )
        assert foreign.status_code == 403
        answered = (await http.post("/graphql", json=body, headers=headers)).json()["data"][
            "onboardTenant"
        ]
        # users_csv() repeated: every repeated row is a duplicate grant, each named with its row
        assert answered["__typename"] == "ValidationError" and len(answered["fields"]) > 100
        body["variables"]["input"]["usersCsv"] = b64(users_csv())
        done = (await http.post("/graphql", json=body, headers=headers)).json()["data"][
            "onboardTenant"
        ]
        assert done["__typename"] == "TenantPayload", done
        huge = {
            "query": op("Tenants"),
            "variables": {},
            "padding": "x" * onboarding.PLATFORM_BODY_BYTES,
        }
        assert (await http.post("/graphql", json=huge, headers=headers)).status_code == 413
