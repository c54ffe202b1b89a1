"""The tier an order starts at by its grade (handling.yaml `start_tier_by_grade`): applied when an
order is registered and when it is regraded, through `escalation.move`, the one way an order
changes tier. An order already at or above that tier stays where it is."""

from __future__ import annotations

from datetime import datetime

from server.domain.handling import start_tier
from server.profiles import Profile
from server.services import escalation


def route(
    profile: Profile, order: escalation.Movable, grade: str | None, *, by: int | None, at: datetime
) -> escalation.TierMove | None:
    """Moves `order` up to the tier its grade starts at, if it is below it; the move is to be
    recorded (escalation.record) once the order is stored."""
    target = start_tier(profile.handling, list(profile.tiers), grade, order.tier)
    if target is None or grade is None:
        return None
    label, tier = profile.grades[grade].label, profile.tiers[target].label
    why = f"{label.zh}由{tier.zh}对应 / a {label.en.lower()} is handled by {tier.en}"
    return escalation.move(order, target, up=True, why=why, by=by, at=at)
