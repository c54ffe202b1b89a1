"""The base policy, policies/policy.csv: read once, here, for authorization and profile checks."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

POLICIES = Path(__file__).resolve().parents[2] / "policies"
# Roles outside every tenant (policies/README.md): a tenant profile may neither grant nor use them.
PLATFORM_ROLES = frozenset({"platform_admin"})


@cache
def base_policy() -> tuple[tuple[str, ...], ...]:
    """The rows (`p` grants, `g` role inheritance); comments and blank lines left out."""
    with (POLICIES / "policy.csv").open(encoding="utf-8") as f:
        rows = (tuple(cell.strip() for cell in row) for row in csv.reader(f))
        return tuple(row for row in rows if row and row[0] and not row[0].startswith("#"))


@dataclass(frozen=True)
class Catalogue:
    roles: frozenset[str]
    permissions: frozenset[str]
    grants: frozenset[tuple[str, str]]


@cache
def base_catalogue() -> Catalogue:
    """The tenant roles and permissions of the base policy (platform-only ones left out)."""
    rows = base_policy()
    grants = frozenset((r[1], r[3]) for r in rows if r[0] == "p" and r[1] not in PLATFORM_ROLES)
    roles = {r[1] for r in rows} | {r[2] for r in rows if r[0] == "g"}
    return Catalogue(frozenset(roles - PLATFORM_ROLES), frozenset(p for _, p in grants), grants)
