"""The tenant admin's use cases on its own profile: read the one in force, import a new one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.domain.errors import FieldProblem, InvalidInputError
from server.profiles import Profile, files
from server.services.caller import Caller
from server.services.profile_versions import Actor
from server.services.tenancy import replace_profile


def read_profile(caller: Caller) -> Profile:
    """The profile in force, for the tenant admin to edit and re-import: needs what importing
    does."""
    _require_profile_admin(caller)
    return caller.profile


def export_profile(caller: Caller) -> tuple[Profile, dict[str, str]]:
    """The profile in force and its documents as YAML files, which import back to it."""
    _require_profile_admin(caller)
    return caller.profile, files.export_profile(caller.profile)


async def import_profile(
    caller: Caller, documents: Mapping[str, Any], mapping: Any = None
) -> Profile:
    """The tenant admin's import of a new version: needs tenant.profile at the brand root (the
    whole tenant). `mapping` maps codes the version drops that open orders use."""
    _require_profile_admin(caller)
    if not isinstance(documents, Mapping):
        problem = FieldProblem(("documents",), "send an object of documents by file name")
        raise InvalidInputError([problem])
    actor = Actor(caller.user_id, caller.principal.username)
    return await replace_profile(
        caller.db.database, caller.tenant.tenant_id, documents, mapping=mapping, actor=actor
    )


def _require_profile_admin(caller: Caller) -> None:
    caller.authz.require("tenant.profile", f"/{caller.tenant.slug}")
