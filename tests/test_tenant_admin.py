"""Tenant onboarding through GraphQL: the admin imports a profile; errors come back all at once."""

from __future__ import annotations

import copy

from support import make_world

from server.profiles import bundled_profile_path, read_profile_dir


async def test_the_tenant_admin_imports_a_profile_and_a_bad_one_changes_nothing(database):
    world = await make_world(database)
    documents = copy.deepcopy(read_profile_dir(bundled_profile_path("skoda")))
    documents["workflow.yaml"]["transitions"][3]["to"] = "closd"
    documents["profile.yaml"]["timezone"] = "Asia/Shangai"
    refused = (await world.gql("admin", "ImportProfile", documents=documents))["importProfile"]
    assert refused["__typename"] == "ValidationError"
    paths = [f["path"] for f in refused["fields"]]
    assert ["workflow.yaml", "transitions[3].to"] in paths and ["profile.yaml", "timezone"] in paths
    assert (await world.gql("admin", "TenantProfile"))["tenantProfile"]["version"] == "2026.1"

    documents = copy.deepcopy(read_profile_dir(bundled_profile_path("skoda")))
    documents["profile.yaml"]["version"] = "2026.2"
    assert (await world.gql("manager_a", "ImportProfile", documents=documents))["importProfile"][
        "__typename"
    ] == "NotPermitted"
    read = (await world.gql("manager_a", "TenantProfile"))["tenantProfile"]
    assert (read["__typename"], read["permission"]) == ("NotPermitted", "tenant.profile")
    done = (await world.gql("admin", "ImportProfile", documents=documents))["importProfile"]
    assert (done["__typename"], done["version"]) == ("TenantProfile", "2026.2")
    assert (await world.gql("operator", "Catalogue"))["catalogue"][
        "grades"
    ]  # every caller now reads the new version
