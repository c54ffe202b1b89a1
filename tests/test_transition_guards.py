"""Every transition guard answers what is wrong: a missing required field is a ValidationError
naming it (the step may run once it is given); a step that may not run from here is
TransitionNotAllowed listing the steps that may (issue 11 item 3)."""

from __future__ import annotations

import pytest
from support import make_world, register

from server.domain.errors import InvalidInputError, TransitionNotAllowedError
from server.profiles import bundled_profile_path, load_profile_dir

WORKFLOWS = {
    name: load_profile_dir(bundled_profile_path(name)).workflow for name in ("skoda", "gtmc")
}
NEEDING_A_REASON = [
    pytest.param(name, t.name, source, id=f"{name}-{t.name}-from-{source}")
    for name, workflow in WORKFLOWS.items()
    for t in workflow.transitions
    if t.requires_comment
    for source in t.sources
]


def test_the_shipped_profiles_have_steps_that_need_a_reason():
    names = {(p.values[0], p.values[1]) for p in NEEDING_A_REASON}
    assert {
        ("skoda", "suspend"),
        ("skoda", "cancel"),
        ("skoda", "reopen"),
        ("gtmc", "hand_back"),
    } <= names


@pytest.mark.parametrize(("profile", "name", "source"), NEEDING_A_REASON)
@pytest.mark.parametrize("comment", [None, "", "  \n "])
def test_a_step_without_its_reason_is_a_validation_error_naming_the_comment(
    profile, name, source, comment
):
    workflow = WORKFLOWS[profile]
    with pytest.raises(InvalidInputError) as refused:
        workflow.fire(source, name, comment)
    assert [p.path for p in refused.value.problems] == [("comment",)]
    assert workflow.fire(source, name, "客户要求").name == name


@pytest.mark.parametrize(("profile", "name", "source"), NEEDING_A_REASON)
def test_a_step_from_the_wrong_state_is_not_allowed_with_the_steps_that_are(profile, name, source):
    workflow = WORKFLOWS[profile]
    elsewhere = next(
        s.name
        for s in workflow.states
        if s.name not in workflow.transition(name).sources and not s.final
    )
    with pytest.raises(TransitionNotAllowedError) as refused:
        workflow.fire(elsewhere, name, None)  # the wrong state comes first: no reason would help
    assert refused.value.allowed == [t.name for t in workflow.available(elsewhere)] != []


async def detail(world, order_id):
    return (await world.gql("se", "OrderDetail", id=order_id))["workOrder"]


async def step(world, who, order, version, name, comment=None):
    values = {"id": order["id"], "expectedVersion": version, "transition": name, "comment": comment}
    return (await world.gql(who, "TransitionWorkOrder", input=values))["transitionWorkOrder"]


async def test_suspending_without_a_comment_names_the_comment_and_changes_nothing(database):
    world = await make_world(database)
    order = await register(world)
    assert (await step(world, "care_a", order, 1, "review"))["__typename"] == "WorkOrderPayload"
    before = await detail(world, order["id"])
    refused = await step(world, "care_a", order, 2, "suspend", " ")
    assert refused["__typename"] == "ValidationError"
    assert [f["path"] for f in refused["fields"]] == [["comment"]] and "suspend" in refused[
        "fields"
    ][0]["message"]
    assert (
        await detail(world, order["id"]) == before
    )  # state, version, clocks and history as they were
    assert (await step(world, "care_a", order, 2, "suspend", "等待配件"))[
        "__typename"
    ] == "WorkOrderPayload"


async def test_a_resolving_step_sent_as_a_transition_lists_the_steps_that_may_run(database):
    world = await make_world(database)
    order = await register(world)
    await step(world, "care_a", order, 1, "review")
    refused = await step(world, "care_a", order, 2, "resolve")
    assert (
        refused["__typename"] == "TransitionNotAllowed" and "closeWorkOrder" in refused["message"]
    )
    assert sorted(refused["allowed"]) == ["cancel", "suspend"]
    assert (await detail(world, order["id"]))["version"] == 2


async def test_escalating_at_the_top_tier_is_not_allowed_and_says_returning_is(database):
    world = await make_world(database)
    order = await register(world)
    moves = {"id": order["id"], "expectedVersion": 1, "reason": "客户要求"}
    up = (await world.gql("se", "EscalateWorkOrder", input=moves))["escalateWorkOrder"]
    assert up["__typename"] == "WorkOrderPayload" and up["order"]["tier"] == "RBO"
    up = (await world.gql("se", "EscalateWorkOrder", input={**moves, "expectedVersion": 2}))[
        "escalateWorkOrder"
    ]
    assert up["order"]["tier"] == "SALES_SE"
    refused = (await world.gql("se", "EscalateWorkOrder", input={**moves, "expectedVersion": 3}))[
        "escalateWorkOrder"
    ]
    assert refused["__typename"] == "TransitionNotAllowed"
    assert (refused["state"], refused["allowed"]) == ("SALES_SE", ["return"])
    assert (await detail(world, order["id"]))["version"] == 3
