"""One way each in the GraphQL layer: one decoder for the ids a client sends, one mapping from a
domain error to the typed error of the field's result union."""

from __future__ import annotations

import pytest
from support import make_world, register

from schema.errors import Conflict, NotFound, NotPermitted, ValidationError, answer
from schema.ids import encode
from server.domain.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError

# Strings that are no id of the type a filter takes: another type's id, and no id at all.
NO_IDS = [encode("Vehicle", 1), "not-an-id"]


def numbers(data: dict) -> set[str]:
    return {edge["node"]["number"] for edge in data["workOrders"]["edges"]}


@pytest.mark.parametrize("sent", NO_IDS)
async def test_a_filter_on_a_string_that_is_no_id_matches_nothing_like_an_id_of_nothing(
    database, sent
):
    world = await make_world(database)
    for dealer in "abc":
        order = await register(world, dealer=dealer)
        for words in ("还没人联系我", "我又打来了"):  # two calls: a warning slip, so escalated
            variables = {"id": order["id"], "channel": "hotline_400", "words": words}
            await world.gql("operator", "RecordCustomerCall", input=variables)
    assert len(numbers(await world.gql("se", "Worklist", first=50))) == 3
    nothing = {"orgUnitId": encode("OrgUnit", 987_654_321), "assigneeId": encode("User", 987_654)}
    for field in ("orgUnitId", "assigneeId"):
        for value in (sent, nothing[field]):
            found = await world.gql("se", "Worklist", filter={field: value}, first=50)
            assert numbers(found) == set(), (field, value)
    assert len((await world.gql("se", "Escalations"))["escalations"]["nodes"]) == 3
    for value in (sent, nothing["orgUnitId"]):
        found = await world.gql("se", "Escalations", filter={"orgUnitId": value})
        assert found["escalations"]["nodes"] == [], value


async def test_a_change_naming_no_target_and_no_reference_is_not_found(database):
    """The target is resolved first (ERRORS.md): an unknown slip or order answers NotFound whatever
    else is wrong, a string that is no id in a reference included, and nothing is written."""
    world = await make_world(database)
    order = await register(world)
    for words in ("还没人联系我", "我又打来了"):
        variables = {"id": order["id"], "channel": "hotline_400", "words": words}
        data = await world.gql("operator", "RecordCustomerCall", input=variables)
    (slip,) = data["recordCustomerCall"]["order"]["warningSlips"]
    for no_slip in (encode("Vehicle", 1), encode("WarningSlip", 987_654_321)):
        sent = {"id": no_slip, "result": "已回复客户", "handlerId": "not-an-id"}
        refused = (await world.gql("se", "RecordSlipResult", input=sent))["recordSlipResult"]
        assert refused == {
            "__typename": "NotFound",
            "message": "No warning slip with this id is visible to you.",
        }
    sent = {"id": slip["id"], "result": "已回复客户", "handlerId": "not-an-id"}
    refused = (await world.gql("se", "RecordSlipResult", input=sent))["recordSlipResult"]
    assert refused["__typename"] == "ValidationError"
    assert [f["path"] for f in refused["fields"]] == [["handlerId"]]
    detail = await world.gql("se", "OrderDetail", id=order["id"])
    assert [s["state"] for s in detail["workOrder"]["warningSlips"]] == ["ISSUED"]
    no_order = encode("WorkOrder", 987_654_321)
    sent = {"id": no_order, "expectedVersion": 1, "primaryHandlerId": "not-an-id"}
    refused = (await world.gql("se", "AssignWorkOrder", input=sent))["assignWorkOrder"]
    assert refused["__typename"] == "NotFound", refused
    after = await world.gql("se", "OrderDetail", id=order["id"])
    assert after["workOrder"]["version"] == detail["workOrder"]["version"]


async def test_answer_gives_the_typed_error_of_the_fields_union_and_the_value_otherwise():
    async def found() -> str:
        return "the payload"

    async def missing() -> str:
        raise NotFoundError("work order", "7")

    async def refused() -> str:
        raise InvalidInputError([FieldProblem(("input", "summary"), "too long")])

    assert await answer(found, NotFound) == "the payload"
    not_found = await answer(missing, ValidationError, NotFound, sent_id="V29yay")
    assert isinstance(not_found, NotFound) and not_found.id == "V29yay"
    assert not_found.message == "No work order with this id is visible to you."
    invalid = await answer(refused, ValidationError, NotPermitted)
    assert isinstance(invalid, ValidationError)
    assert [(f.path, f.message) for f in invalid.fields] == [(["input", "summary"], "too long")]


async def test_a_domain_error_the_field_does_not_answer_is_a_bug_that_propagates():
    """A field whose union lacks the error raises it (reported as INTERNAL) rather than answering
    a member its union does not have."""

    async def changed() -> str:
        raise ConflictError(expected=1, current=2)

    with pytest.raises(ConflictError):
        await answer(changed, ValidationError, NotFound)
    conflict = await answer(changed, Conflict)
    assert (conflict.expected_version, conflict.current_version) == (1, 2)
