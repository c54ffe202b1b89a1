"""frontend-contract/: the checked-in SDL is the schema's, every operation validates against it, no
breaking change goes unrecorded, everything is described, and the generated files are in sync.

Each check (schema/contract.py) is also shown failing, on broken copies built in tmp dirs.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from graphql import OperationDefinitionNode, build_schema, parse, print_ast

from schema.app import schema
from schema.contract import (
    errors_markdown,
    invalid_operations,
    manifest,
    missing_descriptions,
    operations,
    stale_schema,
    unrecorded_breaking_changes,
    write_generated,
)
from schema.limits import measure
from schema.persisted import sha256
from server.settings import Limits

CONTRACT = Path(__file__).resolve().parents[1] / "frontend-contract"
OPERATIONS = operations(CONTRACT / "operations")
REGENERATE = "run `make schema` (complaintdesk export-schema && python -m schema.contract)"


def read(name: str) -> str:
    return (CONTRACT / name).read_text(encoding="utf-8")


def exported() -> str:
    return schema.as_str() + "\n"


# --- the real contract holds ---------------------------------------------------------------------


def test_schema_graphql_is_up_to_date():
    diff = stale_schema(read("schema.graphql"), exported())
    assert not diff, f"frontend-contract/schema.graphql is stale: {REGENERATE}\n" + "\n".join(
        diff[:40]
    )


@pytest.mark.parametrize("name", OPERATIONS)
def test_operation_validates_against_the_checked_in_schema(name):
    assert not invalid_operations(read("schema.graphql"), {name: OPERATIONS[name]})


@pytest.mark.parametrize("name", OPERATIONS)
def test_operation_fits_the_default_limits_at_the_largest_page(name):
    document = parse(OPERATIONS[name])
    fragments = {
        d.name.value: d for d in document.definitions if not isinstance(d, OperationDefinitionNode)
    }
    limits = Limits()
    for operation in (d for d in document.definitions if isinstance(d, OperationDefinitionNode)):
        m = measure(schema._schema, operation, fragments.get, limits.page_size)
        assert m.depth <= limits.depth and m.aliases <= limits.aliases and m.cost <= limits.cost, m


def test_no_breaking_change_against_the_release_goes_unrecorded():
    problems = unrecorded_breaking_changes(
        read("released/schema.graphql"), read("schema.graphql"), read("CHANGELOG.md")
    )
    assert not problems, (
        "breaking changes against frontend-contract/released/schema.graphql:\n"
        + "\n".join(problems)
    )


def test_every_type_field_and_argument_has_a_description():
    missing = missing_descriptions(schema._schema)
    assert not missing, "add a description to: " + ", ".join(missing)


def test_persisted_operations_manifest_is_in_sync():
    assert read("persisted-operations.json") == manifest(OPERATIONS), (
        f"persisted-operations.json is stale: {REGENERATE}"
    )
    ids = [op["id"] for op in json.loads(read("persisted-operations.json"))["operations"]]
    assert ids == [sha256(text) for text in OPERATIONS.values()]


def test_errors_md_is_in_sync_with_the_schema():
    assert read("ERRORS.md") == errors_markdown(schema._schema), f"ERRORS.md is stale: {REGENERATE}"


def test_errors_md_lists_every_typed_error_with_its_fields():
    text = read("ERRORS.md")
    for name in ("ValidationError", "NotPermitted", "NotFound", "Conflict", "TransitionNotAllowed"):
        assert f"### {name}" in text
    assert "| `expectedVersion` | `Int!` |" in text and "Returned by: `Query.workOrder`" in text


# --- each check fails on a broken contract (built in tmp dirs) ----------------------------------


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A copy of frontend-contract/ (without node_modules) to break."""
    copy = tmp_path / "frontend-contract"
    shutil.copytree(CONTRACT, copy, ignore=shutil.ignore_patterns("node_modules", "generated"))
    return copy


def test_a_stale_schema_graphql_is_caught(broken):
    sdl = (broken / "schema.graphql").read_text(encoding="utf-8")
    (broken / "schema.graphql").write_text(
        sdl.replace("  number: String!\n", "", 1), encoding="utf-8"
    )
    diff = stale_schema((broken / "schema.graphql").read_text(encoding="utf-8"), exported())
    assert "+  number: String!" in diff, diff


def test_an_operation_that_no_longer_validates_is_caught(broken):
    sdl = (broken / "schema.graphql").read_text(encoding="utf-8")
    (broken / "schema.graphql").write_text(
        without_field(sdl, "User", "displayName"), encoding="utf-8"
    )
    problems = invalid_operations(
        (broken / "schema.graphql").read_text(encoding="utf-8"), operations(broken / "operations")
    )
    assert "Worklist: Cannot query field 'displayName' on type 'User'." in problems, problems


def test_an_operation_with_a_syntax_error_is_caught(broken):
    (broken / "operations" / "Broken.graphql").write_text("query Broken { me { ", encoding="utf-8")
    problems = invalid_operations(read("schema.graphql"), operations(broken / "operations"))
    assert len(problems) == 1 and problems[0].startswith("Broken: Syntax Error"), problems


def without_field(sdl: str, type_name: str, field_name: str) -> str:
    """The SDL with one field of one type removed (edited as an AST: independent of formatting)."""
    document = parse(sdl)
    definitions = []
    for d in document.definitions:
        if getattr(d, "name", None) and d.name.value == type_name:
            d = replace(d, fields=tuple(f for f in d.fields if f.name.value != field_name))
        definitions.append(d)
    return print_ast(replace(document, definitions=tuple(definitions)))


def _remove_work_order_number(contract: Path) -> str:
    return without_field(
        (contract / "schema.graphql").read_text(encoding="utf-8"), "WorkOrder", "number"
    )


def test_an_unrecorded_breaking_change_is_caught(broken):
    current = _remove_work_order_number(broken)
    changelog = (broken / "CHANGELOG.md").read_text(encoding="utf-8")
    problems = unrecorded_breaking_changes(read("released/schema.graphql"), current, changelog)
    assert len(problems) == 1 and "Field WorkOrder.number was removed." in problems[0], problems
    assert "- `WorkOrder.number`: <what changed>. Deprecation path:" in problems[0]


@pytest.mark.parametrize(
    "entry",
    [
        "- `WorkOrder.number`: removed.",  # no deprecation path
        "- WorkOrder.number: removed. Deprecation path: use id.",  # coordinate not in backticks
    ],
)
def test_a_breaking_change_recorded_without_the_convention_is_still_caught(broken, entry):
    changelog = (
        (broken / "CHANGELOG.md")
        .read_text(encoding="utf-8")
        .replace("## Unreleased\n", f"## Unreleased\n\n{entry}\n")
    )
    assert unrecorded_breaking_changes(
        read("released/schema.graphql"), _remove_work_order_number(broken), changelog
    )


def test_a_breaking_change_recorded_under_an_old_release_is_still_caught(broken):
    entry = "- `WorkOrder.number`: removed. Deprecation path: show `id`."
    changelog = (
        (broken / "CHANGELOG.md")
        .read_text(encoding="utf-8")
        .replace("## 0.1.0", f"## 0.1.0\n\n{entry}\n")
    )
    assert unrecorded_breaking_changes(
        read("released/schema.graphql"), _remove_work_order_number(broken), changelog
    )


def test_a_breaking_change_recorded_under_unreleased_with_a_deprecation_path_passes(broken):
    entry = (
        "- `WorkOrder.number`: removed. "
        "Deprecation path: show `id` instead; `number` returns until 0.2.0."
    )
    changelog = (
        (broken / "CHANGELOG.md")
        .read_text(encoding="utf-8")
        .replace("## Unreleased\n", f"## Unreleased\n\n{entry}\n")
    )
    assert not unrecorded_breaking_changes(
        read("released/schema.graphql"), _remove_work_order_number(broken), changelog
    )


def test_breaking_argument_changes_name_the_argument_coordinate():
    released = "type Query { orders(first: Int): [String] }"
    current = "type Query { orders(first: Int, region: String!): [String] }"
    problems = unrecorded_breaking_changes(released, current, "## Unreleased\n")
    assert len(problems) == 1 and "`Query.orders(region:)`" in problems[0], problems


def test_a_missing_description_is_caught():
    sdl = (
        '"""Root."""\ntype Query {\n  """Described."""\n  a(x: Int): Int\n  b: Int\n}\n'
        "type Thing { c: Int }"
    )
    assert missing_descriptions(build_schema(sdl)) == ["Query.a(x:)", "Query.b", "Thing", "Thing.c"]


def test_stale_generated_files_are_caught_and_regenerated(broken):
    (broken / "operations" / "Worklist.graphql").write_text(
        OPERATIONS["Worklist"] + "# edited\n", encoding="utf-8"
    )
    fresh = manifest(operations(broken / "operations"))
    assert (broken / "persisted-operations.json").read_text(encoding="utf-8") != fresh
    write_generated(broken)
    assert (broken / "persisted-operations.json").read_text(encoding="utf-8") == fresh
    assert (broken / "ERRORS.md").read_text(encoding="utf-8") == read("ERRORS.md")
