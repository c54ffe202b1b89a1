"""Each shipped profile's demo organisation loads (`complaintdesk demo --profile NAME`), and its
demo users, one per role, are what the CLI mints tokens for."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.db.models import WorkOrder
from server.services import demo, demo_plan

PROFILES = ["generic-4s", "gtmc", "jac", "skoda", "vw"]


def test_every_shipped_profile_ships_a_demo_and_one_is_the_default():
    assert demo_plan.demo_profiles() == PROFILES
    assert demo_plan.default_profile() == "skoda"


# The default demo (skoda) is loaded whole by tests/test_demo.py, which needs to load it first in
# its database (a demo already there is left as it is).
@pytest.mark.parametrize("profile", [p for p in PROFILES if p != "skoda"])
async def test_the_demo_of_each_profile_loads_with_a_user_per_role(database, profile):
    spec = demo_plan.plan(profile)
    loaded = await demo.load_demo(database, 12, progress=lambda _line: None, profile=profile)
    assert loaded.slug == spec.slug and loaded.profile == profile
    assert [u.username for u in loaded.users] == [p.username for p in spec.users]
    assert len({u.user_id for u in loaded.users}) == len(spec.users)
    db = database.tenant(loaded.tenant_id)
    async with db.read() as session:
        query = select(WorkOrder.state, func.count()).group_by(WorkOrder.state)
        states = dict((await session.execute(query)).all())
    await db.close()
    assert sum(states.values()) == 12 and len(states) > 1
    again = await demo.load_demo(database, 12, progress=lambda _line: None, profile=profile)
    assert again == loaded  # left as it is


async def test_an_unknown_profile_names_the_demos():
    with pytest.raises(FileNotFoundError, match="demos: generic-4s, gtmc, jac, skoda, vw"):
        demo_plan.plan("acme")
