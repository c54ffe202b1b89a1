"""What a refused profile reports: problems as data (document, path, message, code), which the
GraphQL layer and the CLI read without parsing strings."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, get_args

import pytest
from sqlalchemy import select
from support import make_world

from complaintdesk.cli import main
from server.db.models import Tenant
from server.domain.workflow import Meaning
from server.profiles import (
    Problem,
    ProblemCode,
    ProfileInvalidError,
    bundled_profile_path,
    load_profile_dir,
    parse_profile,
    read_profile_dir,
)
from server.profiles.validators import MeaningName

SKODA = bundled_profile_path("skoda")


@pytest.fixture
def documents() -> dict[str, Any]:
    return copy.deepcopy(read_profile_dir(SKODA))


def problems_of(documents: dict[str, Any]) -> tuple[Problem, ...]:
    with pytest.raises(ProfileInvalidError) as refused:
        parse_profile(documents)
    assert refused.value.errors == [str(problem) for problem in refused.value.problems]
    return refused.value.problems


def test_references_and_values_are_reported_by_document_path_and_code(documents):
    documents["workflow.yaml"]["transitions"][3]["to"] = "closd"
    documents["profile.yaml"]["timezone"] = "Asia/Shangai"
    channels = documents["channels.yaml"]["channels"]
    channels[1]["code"] = channels[0]["code"]
    documents["categories.yaml"]["categories"][0]["grade"] = None
    problems = problems_of(documents)
    assert [(p.document, p.path, p.code) for p in problems] == [
        ("profile.yaml", "timezone", ProblemCode.INVALID_VALUE),
        ("channels.yaml", "channels[1].code", ProblemCode.DUPLICATE),
        ("categories.yaml", "categories[0].grade", ProblemCode.MISSING_DEFAULT_GRADE),
        ("workflow.yaml", "transitions[3].to", ProblemCode.UNKNOWN_REFERENCE),
    ]
    assert problems[0].message == "unknown timezone 'Asia/Shangai' (did you mean 'Asia/Shanghai'?)"
    assert problems[3].message.startswith("unknown state 'closd' (states: unprocessed, ")


def test_shape_problems_name_the_key_and_whole_document_problems_have_no_path(documents):
    documents["profile.yaml"]["launch date"] = "2026-01-01"
    documents["grades.yaml"]["grades"][0]["rank"] = "1"
    documents["grades.yaml"]["grades"][1]["label"] = "Grade B"
    del documents["routing.yaml"]
    documents["surveys.yaml"] = {}
    problems = problems_of(documents)
    assert [(p.document, p.path, p.code) for p in problems] == [
        ("profile.yaml", "launch date", ProblemCode.UNKNOWN_KEY),
        ("grades.yaml", "grades[0].rank", ProblemCode.WRONG_TYPE),
        ("grades.yaml", "grades[1].label", ProblemCode.NOT_A_MAPPING),
        ("routing.yaml", "", ProblemCode.MISSING_DOCUMENT),
        ("surveys.yaml", "", ProblemCode.UNKNOWN_DOCUMENT),
    ]
    assert problems[0].message.startswith("unknown key (allowed: name, version, title, ")
    assert str(problems[3]) == "routing.yaml: missing document"


def test_a_nested_mapping_given_as_something_else_says_so_without_python_names(documents):
    documents["channels.yaml"]["channels"][1] = "fax"
    documents["grades.yaml"]["grades"][0]["label"] = "Grade A"
    assert [str(problem) for problem in problems_of(documents)] == [
        "channels.yaml: channels[1]: expected a mapping of keys (got 'fax')",
        "grades.yaml: grades[0].label: expected a mapping of keys (got 'Grade A')",
    ]


def test_unreadable_yaml_is_a_problem_of_the_whole_document(tmp_path: Path):
    for file in SKODA.glob("*.yaml"):
        (tmp_path / file.name).write_text(file.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "grades.yaml").write_text("grades: [A\n", encoding="utf-8")
    with pytest.raises(ProfileInvalidError) as refused:
        load_profile_dir(tmp_path)
    assert refused.value.problems == (
        Problem(
            "grades.yaml",
            "",
            "line 2, column 1: invalid YAML: expected ',' or ']', but got '<stream end>'",
            ProblemCode.INVALID_YAML,
        ),
    )


def test_tenant_check_prints_one_line_per_problem(tmp_path: Path, capsys):
    for file in SKODA.glob("*.yaml"):
        (tmp_path / file.name).write_text(file.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "routing.yaml").unlink()
    head = (SKODA / "profile.yaml").read_text(encoding="utf-8")
    (tmp_path / "profile.yaml").write_text(head.replace("Asia/Shanghai", "Asia/Shangai"))
    assert main(["tenant", "check", str(tmp_path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "refused: profile.yaml: timezone: unknown timezone 'Asia/Shangai'"
        " (did you mean 'Asia/Shanghai'?)",
        "routing.yaml: missing document",
    ]


def test_the_yaml_spelling_of_state_meanings_is_the_domain_s():
    assert get_args(MeaningName) == tuple(meaning.value for meaning in Meaning)


async def test_graphql_field_paths_come_from_the_problems_and_nothing_changes(database):
    world = await make_world(database)
    documents = copy.deepcopy(read_profile_dir(SKODA))
    documents["profile.yaml"]["version"] = "2027.1"
    documents["profile.yaml"]["launch date"] = "2026-01-01"  # a key with a space in it
    documents["workflow.yaml"]["transitions"][3]["to"] = "closd"
    refused = (await world.gql("admin", "ImportProfile", documents=documents))["importProfile"]
    assert refused["__typename"] == "ValidationError"
    assert [field["path"] for field in refused["fields"]] == [
        ["profile.yaml", "launch date"],
        ["workflow.yaml", "transitions[3].to"],
    ]
    assert refused["fields"][0]["message"].startswith("unknown key (allowed: name, version, ")
    async with database.platform() as session:
        tenant = await session.scalar(select(Tenant).where(Tenant.id == world.tenant_id))
    assert tenant.profile_version == "2026.1"
    assert "launch date" not in tenant.profile_documents["profile.yaml"]
