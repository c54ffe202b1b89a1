"""Hostile or careless input: every bound is checked before the database and answered with a typed
error naming the field, and nothing is written (issue 11, item 7)."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from support import VIN, make_world, register, registration
from test_bad_input import row_counts

from schema.ids import decode, encode


def customer(**fields: object) -> dict[str, object]:
    return {"customer": {"name": "王", "phones": ["13812345678"], **fields}}


def vehicle(**fields: object) -> dict[str, object]:
    return {"vehicle": {"vin": VIN, **fields}}


CASES = {
    "lone surrogate in details": ({"details": "客户来电\ud800"}, ["details"], "surrogate"),
    "long postcode": (customer(postcode="1" * 13), ["customer", "postcode"], "limit is 12"),
    "postcode with NUL": (customer(postcode="100\x00"), ["customer", "postcode"], "U+0000"),
    "plate over its column": (vehicle(plate="京" * 21), ["vehicle", "plate"], "limit is 20"),
    "plate with NUL": (vehicle(plate="京A\x0012345"), ["vehicle", "plate"], "U+0000"),
    "model over its column": (vehicle(model="明" * 81), ["vehicle", "model"], "limit is 80"),
    "model with NUL": (vehicle(model="明锐\x00"), ["vehicle", "model"], "U+0000"),
    "long engine number": (vehicle(engineNumber="E" * 41), ["vehicle", "engineNumber"], "is 40"),
    "engine number, NUL": (vehicle(engineNumber="E\x001"), ["vehicle", "engineNumber"], "U+0000"),
    "mileage too high": (vehicle(mileageKm=3_000_000), ["vehicle", "mileageKm"], "between"),
    "500 phone numbers": (
        customer(phones=[f"138{i:08d}" for i in range(500)]),
        ["customer", "phones"],
        "at most 5",
    ),
    "name of zero-width characters": (
        customer(name="\u200b\u200d\ufeff"),
        ["customer", "name"],
        "no visible characters",
    ),
    "bidi override in the summary": ({"summary": "赠品\u202e已兑现"}, ["summary"], "U+202E"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
async def test_a_registration_beyond_a_bound_names_the_field_and_writes_nothing(database, case):
    world = await make_world(database)
    overrides, path, words = CASES[case]
    before = await row_counts(world)
    data = await world.gql("operator", "RegisterComplaint", input=registration(world, **overrides))
    result = data["registerComplaint"]
    assert result["__typename"] == "ValidationError", result
    field = next(f for f in result["fields"] if f["path"] == path)
    assert words in field["message"]
    assert await row_counts(world) == before


INSTANTS = {
    "no offset": ("2026-01-05T09:00:00", "give a time zone offset"),
    "year 1": ("0001-01-01T00:00:00+00:00", "must lie between"),
}


async def slip_of_a_called_order(world) -> str:
    order = await register(world)
    for words in ("还没人联系我", "我又打来了"):
        variables = {"id": order["id"], "channel": "hotline_400", "words": words}
        data = await world.gql("operator", "RecordCustomerCall", input=variables)
    (slip,) = data["recordCustomerCall"]["order"]["warningSlips"]
    return slip["id"]


async def nothing(_world) -> None:
    return None


async def send_received_at(world, _prepared: None, value: str) -> dict:
    data = await world.gql("se", "RegisterComplaint", input=registration(world, receivedAt=value))
    return data["registerComplaint"]


async def send_slip_result_at(world, slip: str, value: str) -> dict:
    variables = {"id": slip, "result": "已回复客户", "handlerId": world.user_gid("se"), "at": value}
    return (await world.gql("se", "RecordSlipResult", input=variables))["recordSlipResult"]


async def send_registered_from(world, _prepared: None, value: str) -> dict:
    return (await world.gql("se", "Worklist", filter={"registeredFrom": value}))["workOrders"]


async def revisit_of_a_handled_order(world) -> str:
    order = await register(world)
    step = {"id": order["id"], "expectedVersion": 1, "transition": "review"}
    await world.gql("care_a", "TransitionWorkOrder", input=step)
    close = {"id": order["id"], "expectedVersion": 2, "resolution": "已处理"}
    await world.gql("care_a", "CloseWorkOrder", input=close)
    return (await world.gql("care_a", "Revisits"))["revisits"]["nodes"][0]["id"]


async def send_call_back_at(world, revisit: str, value: str) -> dict:
    variables = {"id": revisit, "outcome": "CALL_BACK", "callBackAt": value}
    return (await world.gql("care_a", "LogRevisitAttempt", input=variables))["logRevisitAttempt"]


# Every DateTime an input can carry: (what to set up first, how to send it, the path refused).
DATETIME_INPUTS = {
    "receivedAt": (nothing, send_received_at, ["receivedAt"]),
    "recordSlipResult.at": (slip_of_a_called_order, send_slip_result_at, ["at"]),
    "workOrders.filter.registeredFrom": (
        nothing,
        send_registered_from,
        ["filter", "registeredFrom"],
    ),
    "logRevisitAttempt.callBackAt": (revisit_of_a_handled_order, send_call_back_at, ["callBackAt"]),
}


@pytest.mark.parametrize("instant", INSTANTS, ids=list(INSTANTS))
@pytest.mark.parametrize("where", DATETIME_INPUTS, ids=list(DATETIME_INPUTS))
async def test_a_datetime_without_offset_or_out_of_range_is_a_validation_error_naming_it(
    database, where, instant
):
    world = await make_world(database)
    prepare, send, path = DATETIME_INPUTS[where]
    value, words = INSTANTS[instant]
    prepared = await prepare(world)
    before = await row_counts(world)
    result = await send(world, prepared, value)
    assert result["__typename"] == "ValidationError", result
    (field,) = [f for f in result["fields"] if f["path"] == path]
    assert words in field["message"]
    assert await row_counts(world) == before


def test_every_datetime_input_of_the_contract_is_covered():
    """A new DateTime input field must join DATETIME_INPUTS (and be checked by its service)."""
    sdl = (Path(__file__).resolve().parents[1] / "frontend-contract" / "schema.graphql").read_text()
    inputs = re.findall(r"^input (\w+) \{(.*?)^\}", sdl, flags=re.S | re.M)
    fields = {
        f"{name}.{field}"
        for name, body in inputs
        for field in re.findall(r"^  (\w+): DateTime", body, flags=re.M)
    }
    assert fields == {
        "LogRevisitAttemptInput.callBackAt",
        "RegisterComplaintInput.receivedAt",
        "SlipResultInput.at",
        "WorkOrderFilter.registeredFrom",
        "WorkOrderFilter.registeredTo",
    }


async def test_every_datetime_is_answered_in_utc(database):
    world = await make_world(database)
    order = await register(world, receivedAt="2026-01-05T09:30:00+08:00", username="se")
    assert order["receivedAt"] == "2026-01-05T01:30:00+00:00"
    detail = (await world.gql("se", "OrderDetail", id=order["id"]))["workOrder"]
    assert detail["receivedAt"] == order["receivedAt"]


@pytest.mark.parametrize("hours", [2147483647, -1, -2147483647])
async def test_escalations_older_than_hours_out_of_range_is_a_validation_error(database, hours):
    world = await make_world(database)
    data = await world.gql("se", "Escalations", filter={"olderThanHours": hours})
    result = data["escalations"]
    assert result["__typename"] == "ValidationError"
    assert result["fields"][0]["path"] == ["filter", "olderThanHours"]


def _cursor(text: str) -> str:
    """base64 of `text`, as cursors and global ids are."""
    return base64.urlsafe_b64encode(text.encode()).decode()


CURSORS = {
    "id beyond 64 bits": ("Worklist", {}, _cursor("order|" + "9" * 25)),
    "id in full-width digits": ("Worklist", {}, _cursor("order|１２")),
    "far deadline": ("Escalations", {"sort": "BREACH"}, _cursor(f"breach|{2**62}|9")),
}


@pytest.mark.parametrize("case", CURSORS, ids=list(CURSORS))
async def test_a_cursor_holding_no_position_is_a_validation_error_on_after(database, case):
    world = await make_world(database)
    await register(world)
    operation, variables, cursor = CURSORS[case]
    data = await world.gql("se", operation, after=cursor, **variables)
    result = next(iter(data.values()))
    assert result["__typename"] == "ValidationError", result
    assert result["fields"][0]["path"] == ["after"]


def test_a_global_id_holds_ascii_digits_within_its_key_column():
    assert decode("WorkOrder", encode("WorkOrder", 2**63 - 1)) == 2**63 - 1
    assert decode("User", encode("User", 2**31 - 1)) == 2**31 - 1
    assert decode("User", _cursor("User:１２")) is None  # full-width digits
    assert decode("User", _cursor("User:٣")) is None  # an Arabic-Indic digit
    assert decode("User", _cursor(f"User:{2**31}")) is None  # beyond an integer key
    assert decode("WorkOrder", _cursor(f"WorkOrder:{2**63}")) is None  # beyond a bigint key


async def test_an_id_beyond_the_key_column_is_not_found(database):
    world = await make_world(database)
    result = (await world.gql("se", "OrderDetail", id=_cursor(f"WorkOrder:{2**64}")))["workOrder"]
    assert result["__typename"] == "NotFound"
