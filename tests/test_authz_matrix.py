"""policies/README.md's matrix, cell by cell, at own dealer, sibling dealer, other region and other
tenant."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import make_world

from server.security.authz import known_permissions

README = Path(__file__).resolve().parents[1] / "policies" / "README.md"
# The demo people of tests/support.py, one per role, with the level of their grant.
HOLDERS = {
    "operator": ("operator", "brand"),
    "care_specialist": ("care_a", "dealer"),
    "manager": ("manager_a", "dealer"),
    "gm": ("gm_a", "dealer"),
    "rbo": ("rbo_east", "region"),
    "se": ("se", "brand"),
    "tenant_admin": ("admin", "brand"),
}
REACH = {
    "dealer": {"own"},
    "region": {"own", "sibling"},
    "brand": {"own", "sibling", "other_region"},
}


def matrix() -> dict[tuple[str, str], bool]:
    lines = [
        line
        for line in README.read_text(encoding="utf-8").splitlines()
        if line.startswith("| permission |")
    ]
    (header,) = lines
    text = README.read_text(encoding="utf-8")
    roles = [cell.strip() for cell in header.strip("|").split("|")[1:]]
    cells = {}
    for row in re.findall(r"^\| `([a-z.]+)` \|(.*)\|$", text, re.MULTILINE):
        permission, marks = row
        for role, mark in zip(roles, marks.split("|"), strict=True):
            cells[(role, permission)] = mark.strip() == "✓"
    return cells


def test_the_matrix_covers_every_role_and_permission():
    cells = matrix()
    assert {p for _, p in cells} == known_permissions() - {"platform.tenants"}
    assert {r for r, _ in cells} == set(HOLDERS)


@pytest.mark.parametrize("role", list(HOLDERS))
async def test_every_cell_holds_at_each_scope(database, role):
    world, other = await make_world(database), await make_world(database)
    username, level = HOLDERS[role]
    caller = await world.caller(username)
    await caller.db.close()
    targets = {
        "own": world.path("/east/dlr-a"),
        "sibling": world.path("/east/dlr-b"),
        "other_region": world.path("/west/dlr-c"),
        "other_tenant": other.path("/east/dlr-a"),
    }
    for (cell_role, permission), granted in matrix().items():
        if cell_role != role:
            continue
        for scope, path in targets.items():
            expected = granted and scope in REACH[level]
            assert caller.authz.check(permission, path) is expected, (role, permission, scope)
