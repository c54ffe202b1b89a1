"""Intake's customer lookup: who is calling, masked by rights, scoped by tenant and dealer."""

from __future__ import annotations

from support import VIN, make_world, register


async def lookup(world, username: str, phone: str) -> dict:
    return (await world.gql(username, "CustomerLookup", phone=phone))["customerLookup"]


async def test_the_operator_finds_the_caller_with_vehicles_and_recent_orders(database):
    world = await make_world(database)
    order = await register(world, dealer="a")
    found = await lookup(world, "operator", "138 1234 5678")
    assert found["__typename"] == "CustomerLookup"
    assert (found["customer"]["name"], found["customer"]["phones"]) == (
        "王先生",
        ["+8613812345678"],
    )
    assert [v["vin"] for v in found["vehicles"]] == [VIN]
    assert [o["number"] for o in found["orders"]] == [order["number"]]


async def test_a_dealer_sees_the_customer_masked_and_only_its_own_orders(database):
    world = await make_world(database)
    await register(world, dealer="a")
    found = await lookup(world, "care_b", "13812345678")
    assert found["customer"]["name"] == "王先生"
    assert (
        found["customer"]["phones"] == ["+86138****5678"] and found["customer"]["address"] is None
    )
    assert found["orders"] == []


async def test_a_new_caller_another_tenant_bad_input_and_no_right_to_register(database):
    world, other = await make_world(database), await make_world(database)
    await register(world, dealer="a")
    assert (await lookup(other, "operator", "13812345678"))[
        "customer"
    ] is None  # nor learns that it exists
    assert (await lookup(world, "operator", "13900000000"))["customer"] is None
    refused = await lookup(world, "operator", "12")
    assert refused["__typename"] == "ValidationError" and refused["fields"][0]["path"] == ["phone"]
    no_right = await lookup(world, "rbo_east", "13812345678")
    assert (no_right["__typename"], no_right["permission"]) == (
        "NotPermitted",
        "workorder.register",
    )
