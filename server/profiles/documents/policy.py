"""policy.yaml: the tenant's changes to the base policy (policies/policy.csv): grants added
or removed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from server.profiles.crosscheck import Names, RawDocuments, text
from server.profiles.document import Document, DocumentKind
from server.profiles.problems import Problem, ProblemCode

DOC = "policy.yaml"


class _Grant(Document):
    role: str
    permission: str


class PolicyDoc(Document):
    add: list[_Grant] = Field(default_factory=list)
    remove: list[_Grant] = Field(default_factory=list)


def build(doc: PolicyDoc) -> Mapping[str, Any]:
    return {
        "policy_add": tuple((g.role, g.permission) for g in doc.add),
        "policy_remove": tuple((g.role, g.permission) for g in doc.remove),
    }


def check(raw: RawDocuments) -> list[Problem]:
    catalogue = raw.catalogue
    roles = Names(sorted(catalogue.roles), "role", "roles")
    permissions = Names(sorted(catalogue.permissions), "permission", "permissions")
    out: list[Problem] = []
    for key in ("add", "remove"):
        for i, grant in raw.items(DOC, key):
            path, role, permission = f"{key}[{i}]", grant.get("role"), grant.get("permission")
            found = roles.check(DOC, f"{path}.role", role)
            found += permissions.check(DOC, f"{path}.permission", permission)
            granted = (role, permission) in catalogue.grants
            if not found and key == "remove" and text(role) and text(permission) and not granted:
                message = (
                    f"the base policy does not grant {permission!r} to {role!r}: nothing to remove"
                )
                found.append(Problem(DOC, path, message, ProblemCode.NOTHING_TO_REMOVE))
            out += found
    return out


KIND = DocumentKind(DOC, PolicyDoc, build, check, required=False)
