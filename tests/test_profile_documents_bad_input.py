"""Bad input in the document kinds of issue 15 (written reports, playbooks, outcomes, conditional
deadlines): every problem at once, each with its document and path, and nothing imported."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from support import make_world

from server.db.models import Tenant
from server.profiles import (
    ProblemCode,
    ProfileInvalidError,
    bundled_profile_path,
    load_profile_dir,
    parse_profile,
    read_profile_dir,
)

FOUR_S = bundled_profile_path("generic-4s")


def broken() -> dict:
    """The generic-4S documents with a dangling reference in each new kind, an ambiguous
    conditional deadline, a transition to an unknown state and a clock on an unknown event."""
    documents = copy.deepcopy(read_profile_dir(FOUR_S))
    documents["conditional_deadlines.yaml"]["deadlines"] += [
        {
            "clock": "determining",
            "when": {"event": "approve"},
            "target": 36,
            "unit": "natural_hours",
        },
        {"clock": "lunch", "when": {"fact": "customer_away"}, "target": 2, "unit": "natural_hours"},
        {"clock": "reviewing", "when": {}, "target": 8, "unit": "natural_hours"},
    ]
    documents["deadlines.yaml"]["clocks"][0]["stops_on"] = "numbr"
    documents["workflow.yaml"]["transitions"][1]["to"] = "reviewng"
    documents["playbooks.yaml"] = {
        "playbooks": [{"situation": "noise", "steps": [{"zh": "试车", "en": "Road test"}]}]
    }
    documents["written_reports.yaml"] = {
        "reports": [
            {
                "code": "major_report",
                "label": {"zh": "重大投诉报告", "en": "Major complaint report"},
                "when_any": {"flags": ["major"], "demands": []},
                "due": {"target": 0, "unit": "natural_hours"},
                "escalate_to": "GM",
            }
        ]
    }
    documents["outcomes.yaml"] = {
        "outcomes": [{"code": "settled", "label": {"zh": "和解", "en": "Settled"}}],
        "recorded_in": ["negotiating"],
    }
    return documents


def test_every_problem_is_reported_at_once_with_document_and_path():
    with pytest.raises(ProfileInvalidError) as refused:
        parse_profile(broken())
    found = {(p.document, p.path, p.code) for p in refused.value.problems}
    unknown = ProblemCode.UNKNOWN_REFERENCE
    assert found == {
        ("workflow.yaml", "transitions[1].to", unknown),
        ("deadlines.yaml", "clocks[0].stops_on", unknown),
        ("written_reports.yaml", "reports[0].when_any.flags[0]", unknown),
        ("written_reports.yaml", "reports[0].escalate_to", unknown),
        ("playbooks.yaml", "playbooks[0].situation", unknown),
        ("outcomes.yaml", "recorded_in[0]", unknown),
        ("conditional_deadlines.yaml", "deadlines[1].clock", ProblemCode.AMBIGUOUS),
        ("conditional_deadlines.yaml", "deadlines[2].clock", unknown),
        ("conditional_deadlines.yaml", "deadlines[2].when.fact", unknown),
        ("conditional_deadlines.yaml", "deadlines[3].when", ProblemCode.INVALID_VALUE),
    }
    lines = refused.value.errors
    assert (
        "playbooks.yaml: playbooks[0].situation: unknown situation 'noise' (situations (the"
        " categories): quality, service_attitude, workplace_conduct, repair_delay,"
        " quality_unclear, parts_delay, customer_absent, consult)"
    ) in lines
    ambiguous = next(line for line in lines if "ambiguous" in line)
    assert ambiguous.startswith("conditional_deadlines.yaml: deadlines[1].clock: ambiguous:")


def test_a_duplicate_key_is_refused_with_the_other_problems(tmp_path: Path):
    folder = tmp_path / "vw"
    shutil.copytree(bundled_profile_path("vw"), folder)
    playbooks = folder / "playbooks.yaml"
    text = playbooks.read_text(encoding="utf-8")
    playbooks.write_text(
        text.replace("  - situation: B1\n", "  - situation: B1\n    situation: B2\n"),
        encoding="utf-8",
    )
    reports = folder / "written_reports.yaml"
    reports.write_text(
        reports.read_text(encoding="utf-8").replace("escalate_to: RSSC", "escalate_to: RSCC", 1),
        encoding="utf-8",
    )
    with pytest.raises(ProfileInvalidError) as refused:
        load_profile_dir(folder)
    found = [(p.document, p.code) for p in refused.value.problems]
    assert found == [
        ("written_reports.yaml", ProblemCode.UNKNOWN_REFERENCE),
        ("playbooks.yaml", ProblemCode.INVALID_YAML),
    ]
    assert "duplicate key 'situation'" in refused.value.errors[1]


async def test_importing_a_broken_profile_changes_nothing(database):
    world = await make_world(database, "generic-4s")
    documents = broken()
    in_force = documents["profile.yaml"]["version"]
    documents["profile.yaml"]["version"] = "2027.1"
    refused = (await world.gql("admin", "ImportProfile", documents=documents))["importProfile"]
    assert refused["__typename"] == "ValidationError"
    assert ["playbooks.yaml", "playbooks[0].situation"] in [f["path"] for f in refused["fields"]]
    assert len(refused["fields"]) == 10
    async with database.platform() as session:
        tenant = await session.scalar(select(Tenant).where(Tenant.id == world.tenant_id))
    assert tenant.profile_version == in_force
    assert "playbooks.yaml" not in tenant.profile_documents
