"""The SE's escalations board over 2,000 dealers: its page costs the same SQL statements at 5 or
50."""

from __future__ import annotations

from support import make_world, registration, statements_by_page_size

from schema.ids import encode
from server.db.models import OrgUnit, RoleAssignment


async def add_dealers(world, count: int) -> list[int]:
    """2,000 dealers under the east region in one transaction (the services add them one by one)."""
    db = world.database.tenant(world.tenant_id)
    region = world.units["/east"]
    async with db.write() as session:
        units = [
            OrgUnit(
                parent_id=region,
                kind="dealer",
                code=f"d{n:04d}",
                name=f"经销商 {n}",
                path=world.path(f"/east/d{n:04d}"),
            )
            for n in range(count)
        ]
        session.add_all(units)
        await session.flush()
        ids = [u.id for u in units]
        # each dealer's manager may assign there, as a real network has
        session.add_all(
            RoleAssignment(
                user_id=world.users["manager_a"], role="manager", org_unit_id=u.id, org_path=u.path
            )
            for u in units[:60]
        )
    await db.close()
    return ids


async def test_the_escalations_first_page_costs_constant_statements_over_2000_dealers(database):
    world = await make_world(database)
    dealers = await add_dealers(world, 2000)
    for n in range(60):
        data = await world.gql(
            "operator",
            "RegisterComplaint",
            input=registration(
                world,
                dealerId=encode("OrgUnit", dealers[n * 33]),
                customer={"name": f"客户{n}", "phones": [f"1398888{n:04d}"]},
                flags=["claims_media"],
            ),
        )
        order_id = data["registerComplaint"]["order"]["id"]
        await world.gql(
            "operator",
            "RecordCustomerCall",
            input={
                "id": order_id,
                "channel": "hotline_400",
                "words": "我是记者",
                "flags": ["claims_media"],
            },
        )
    counts = await statements_by_page_size(
        world, "se", "Escalations", lambda data: data["escalations"]["nodes"]
    )
    assert counts[5] == counts[50], counts
