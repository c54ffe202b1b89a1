"""A profile's demo organisation, as data: `policies/profiles/<name>/demo/demo.yaml` (beside the
profile's documents, in a folder of its own so that importing the profile never reads it). It
says the tenant, its regions, dealers and departments, the staff of each dealer, a user per
role, and how the demo orders are laid out in time (docs/architecture.md, "A demo")."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field

from server.profiles import bundled_profile_path
from server.profiles.catalogue import POLICIES


class _Plain(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Dealer(_Plain):
    code: str
    name: str
    departments: dict[str, str] = Field(default_factory=dict)  # code -> name


class Region(_Plain):
    code: str
    name: str
    hours: list[str] | None = None  # working hours of the region, inherited by its dealers
    dealers: Annotated[list[Dealer], Field(min_length=1)]


class Person(_Plain):
    username: str
    display: str
    role: str
    at: str = ""  # below the tenant's root, e.g. /east/sh-pudong; "" for the root


class Staff(_Plain):
    """Staff added at every dealer as `<username>-<dealer>`; the first two handle its orders."""

    username: str
    display: str
    role: str
    department: str | None = None  # granted at this department of each dealer instead


class Transfer(_Plain):
    """The target a transfer step names (a profile's handling.yaml `transfers`): the authority,
    and the staff (by username) of the order's dealer who takes it over."""

    authority: str
    staff: str


class RevisitAnswer(_Plain):
    result: str
    words: str | None = None
    answers: list[list[str]] = Field(default_factory=list)  # [question, answer]


class Orders(_Plain):
    count: Annotated[int, Field(ge=0)] = 200
    seed: int = 20261122
    registrar: str  # a username of `users`
    actor: str  # the username that takes every step but those of `step_actors`
    step_actors: dict[str, str] = Field(default_factory=dict)  # step -> username
    channel: str
    categories: list[str] = Field(default_factory=list)  # empty: every category of the profile
    exclude_categories: list[str] = Field(default_factory=list)
    # Steps: a transition name, or `assign`, `contact` (reached) and `revisit` (the open revisit
    # answered); a transition that records the resolution closes with `resolution`.
    paths: Annotated[list[list[str]], Field(min_length=1)]
    handled: list[str]  # the path of the home dealer's last orders, handled just before the load
    last_handled: Annotated[int, Field(ge=0)] = 3
    summaries: Annotated[list[str], Field(min_length=1)]
    models: Annotated[list[str], Field(min_length=1)]
    vin_prefix: Annotated[str, Field(min_length=3, max_length=3)]
    contact_note: str
    resolution: list[str]  # resolution, measures, root cause, customer feedback
    comments: dict[str, str] = Field(default_factory=dict)  # a step's comment, by transition
    transfers: dict[str, Transfer] = Field(default_factory=dict)  # a transfer step's target
    revisit: RevisitAnswer | None = None


class DemoPlan(_Plain):
    default: bool = False  # the demo `complaintdesk run` serves
    slug: str
    name: str
    regions: Annotated[list[Region], Field(min_length=1)]
    staff: Annotated[list[Staff], Field(min_length=2)]
    users: Annotated[list[Person], Field(min_length=1)]
    home_dealer: str  # below the root, e.g. /east/sh-pudong
    orders: Orders


def demo_path(profile: str) -> Path:
    return bundled_profile_path(profile) / "demo" / "demo.yaml"


@cache
def plan(profile: str) -> DemoPlan:
    path = demo_path(profile)
    if not path.is_file():
        known = ", ".join(demo_profiles()) or "none"
        raise FileNotFoundError(f"profile '{profile}' ships no demo (demos: {known})")
    return DemoPlan.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def demo_profiles() -> list[str]:
    """The bundled profiles that ship a demo, by name."""
    folder = POLICIES / "profiles"
    return sorted(p.name for p in folder.iterdir() if (p / "demo" / "demo.yaml").is_file())


def default_profile() -> str:
    """The profile whose demo says `default: true` (exactly one does)."""
    marked = [name for name in demo_profiles() if plan(name).default]
    if len(marked) != 1:
        raise ValueError(f"exactly one demo must be the default (marked: {marked or 'none'})")
    return marked[0]
