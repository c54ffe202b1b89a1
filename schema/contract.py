"""The frontend contract's checks and generated files (frontend-contract/).

Checks (each returns the problems it finds, empty when the contract holds; tests/test_contract.py
runs them on the real files and on broken copies):
- stale_schema: the checked-in schema.graphql is what the code exports;
- invalid_operations: every operations/*.graphql validates against schema.graphql;
- unrecorded_breaking_changes: every breaking change against released/schema.graphql is recorded
  in CHANGELOG.md under "## Unreleased" (convention in CHANGELOG.md);
- missing_descriptions: every type, field and argument has a description.

Generated (`python -m schema.contract`, also run by `make schema`): persisted-operations.json and
ERRORS.md.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

from graphql import (
    BreakingChange,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    OperationDefinitionNode,
    build_schema,
    find_breaking_changes,
    get_named_type,
    is_introspection_type,
    is_specified_scalar_type,
    parse,
    validate,
)

from schema.persisted import sha256

CONTRACT = Path(__file__).resolve().parents[1] / "frontend-contract"
COORDINATE = re.compile(
    r"@?[_A-Za-z]\w*\.\w+(?:\(\w+:\))?|@\w+(?:\(\w+:\))?"
)  # Type.field, Type.field(arg:), @dir
DEPRECATION = re.compile(r"deprecation path:\s*\S", re.IGNORECASE)


def operations(directory: Path) -> dict[str, str]:
    """The operation documents of the contract by file stem,
    e.g. {"Worklist": "query Worklist..."}."""
    return {
        path.stem: path.read_text(encoding="utf-8") for path in sorted(directory.glob("*.graphql"))
    }


def stale_schema(checked_in: str, current: str) -> list[str]:
    """The diff between the checked-in SDL and the exported one (empty when up to date)."""
    diff = difflib.unified_diff(
        checked_in.splitlines(),
        current.splitlines(),
        "schema.graphql",
        "exported",
        lineterm="",
        n=1,
    )
    return list(diff)


def invalid_operations(sdl: str, documents: dict[str, str]) -> list[str]:
    """Every error of every operation against the SDL, as "<name>: <message>"."""
    schema = build_schema(sdl)
    problems = []
    for name, document in documents.items():
        try:
            errors = validate(schema, parse(document))
        except Exception as exc:  # a syntax error is a problem of that file, not of the check
            errors = [exc]
        problems += [f"{name}: {getattr(e, 'message', e)}" for e in errors]
    return problems


def coordinate(change: BreakingChange, type_names: set[str]) -> str:
    """The schema coordinate a change is about: Type.field(arg:), Type.field, @directive or Type."""
    if match := COORDINATE.search(change.description):
        return match.group()
    return next(
        (w for w in re.findall(r"\w+", change.description) if w in type_names), change.description
    )


def breaking_changes(released_sdl: str, current_sdl: str) -> list[tuple[str, str]]:
    """(coordinate, description) of each change that can break an operation written for the
    release."""
    released, current = build_schema(released_sdl), build_schema(current_sdl)
    names = set(released.type_map)
    return [(coordinate(c, names), c.description) for c in find_breaking_changes(released, current)]


def unreleased_entries(changelog: str) -> list[str]:
    """The list items of the "## Unreleased" section."""
    entries, inside = [], False
    for line in changelog.splitlines():
        if line.startswith("## "):
            inside = line[3:].strip().strip("[]").lower() == "unreleased"
        elif inside and line.lstrip().startswith("- "):
            entries.append(line.strip())
    return entries


def unrecorded_breaking_changes(released_sdl: str, current_sdl: str, changelog: str) -> list[str]:
    """Breaking changes without an Unreleased entry that names their `coordinate` and a deprecation
    path."""
    entries = [e for e in unreleased_entries(changelog) if DEPRECATION.search(e)]
    return [
        f"{description} Record it in CHANGELOG.md under '## Unreleased' as: "
        f"- `{coord}`: <what changed>. Deprecation path: <what clients do instead, and until when>"
        for coord, description in breaking_changes(released_sdl, current_sdl)
        if not any(f"`{coord}`" in entry for entry in entries)
    ]


def missing_descriptions(schema: GraphQLSchema) -> list[str]:
    """Coordinates of every type, field, input field and argument without a description. (Enum
    values are not required: a domain enum wrapped by strawberry.enum cannot carry per-value
    descriptions.)"""
    missing = []
    for name, kind in sorted(schema.type_map.items()):
        if is_introspection_type(kind) or is_specified_scalar_type(kind):
            continue
        missing += [] if kind.description else [name]
        if isinstance(kind, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for field_name, field in kind.fields.items():
                missing += [] if field.description else [f"{name}.{field_name}"]
                args = getattr(field, "args", {})
                missing += [
                    f"{name}.{field_name}({a}:)" for a, arg in args.items() if not arg.description
                ]
    return missing


def manifest(documents: dict[str, str]) -> str:
    """persisted-operations.json: Apollo's persisted query manifest format, ids are sha256 of the
    text."""
    entries = []
    for document in documents.values():
        operation = next(
            d for d in parse(document).definitions if isinstance(d, OperationDefinitionNode)
        )
        name = operation.name.value if operation.name else ""
        entries.append(
            {
                "id": sha256(document),
                "name": name,
                "type": operation.operation.value,
                "body": document,
            }
        )
    body = {"format": "apollo-persisted-query-manifest", "version": 1, "operations": entries}
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def errors_markdown(schema: GraphQLSchema) -> str:
    """ERRORS.md: every implementation of the Error interface, its fields and where it is returned,
    then the request errors that are not part of the schema."""
    error = schema.get_type("Error")
    assert isinstance(error, GraphQLInterfaceType)
    parts = [ERRORS_HEADER]
    for kind in sorted(schema.get_implementations(error).objects, key=lambda t: t.name):
        parts.append(_error_section(schema, kind))
    parts.append(REQUEST_ERRORS)
    return "\n".join(parts)


def _error_section(schema: GraphQLSchema, kind: GraphQLObjectType) -> str:
    lines = [
        f"### {kind.name}",
        "",
        kind.description or "",
        "",
        "| field | type | meaning |",
        "|---|---|---|",
    ]
    lines += [
        f"| `{name}` | `{field.type}` | {field.description or ''} |"
        for name, field in kind.fields.items()
    ]
    returned_by = ", ".join(f"`{c}`" for c in _returned_by(schema, kind)) or "(no operation yet)"
    lines += ["", f"Returned by: {returned_by}.", ""]
    return "\n".join(lines)


def _returned_by(schema: GraphQLSchema, kind: GraphQLObjectType) -> list[str]:
    """Root fields whose result is this type or a union that holds it."""
    found = []
    for root in (schema.query_type, schema.mutation_type):
        for name, field in root.fields.items() if root else ():
            result = get_named_type(field.type)
            if result is kind or (isinstance(result, GraphQLUnionType) and kind in result.types):
                found.append(f"{root.name}.{name}")
    return found


ERRORS_HEADER = (
    """# Errors

<!-- Generated by `python -m schema.contract` (`make schema`) from the schema; """
    """tests/test_contract.py
     fails when it is out of date. Edit the descriptions in schema/errors.py, not this file. -->

Two kinds of error reach a client.

1. **Typed errors**: something the caller can correct. They are members of a field's result union
   (HTTP 200, inside `data`); select them with fragments, e.g.
   `... on Error { message } ... on ValidationError { fields { path message } }`. Every one
   implements the `Error` interface, so `... on Error { message }` always has a sentence to show.
2. **Request errors**: the request was refused as a whole (see the end of this file); they come in
   the top-level `errors` list with a machine-readable `extensions.code`.

## Ids you send

An id of another tenant, an id of something outside your scope, an id of nothing at all and a
string that is no id of that type are answered alike, and nothing is written:

- the id of the object a mutation acts on (its `id`, `setAbsence(userId:)`) answers `NotFound`,
  whose `id` echoes the id sent;
- any other id in the input, one the mutation would refer to or store (`dealerId`, `repeatOfId`,
  `involvedStaffIds`, `primaryHandlerId`, `secondaryHandlerId`, `handlerId`, ...), answers
  `ValidationError` naming that field, e.g. `["handlerId"]`: "no user with this id is visible to
  you". The target is resolved first: an unknown target answers `NotFound` whatever else is wrong.
- an id in a list filter (`orgUnitId`, `assigneeId`) that names nothing you can see matches
  nothing: the page is empty.
- the org unit a board or a stream is narrowed to (`board(orgUnitId:)`, the `orderEvents` and
  `boardCounters` subscriptions) answers `NotFound` (the subscriptions: an error with the code
  `NOT_FOUND`) unless you read orders at it or keep the tree there; another dealer's unit is
  answered as a unit that does not exist, as is one outside your scope in `addOrgUnit(parentId)`
  and `updateOrgUnit(id)`.

`tests/test_scoped_ids.py` walks every ID argument of every query, mutation and subscription with
an id out of the caller's scope and an id of nothing, and compares the answers.

## Typed errors (implementations of `Error`)
"""
)


def _table(*rows: tuple[str, ...]) -> str:
    """Markdown table rows; each row is a line however long its cells are."""
    return "".join("| " + " | ".join(row) + " |\n" for row in rows)


REQUEST_ERRORS = (
    """## Request errors (top-level `errors`)

With `Accept: application/graphql-response+json` a request that never reached execution is
answered with a 4xx status and no `data` entry; with `application/json` it is answered 200 with
`"data": null` (the GraphQL-over-HTTP spec). Nothing of such a request was executed or written.

| `extensions.code` | HTTP status (graphql-response+json) | when |
|---|---|---|
"""
    + _table(
        (
            "(none)",
            "400",
            "The document does not parse, or does not validate against the schema, "
            "or a variable does not coerce to its type.",
        ),
        (
            "`LIMIT_EXCEEDED`",
            "400",
            "The operation is over one of the tenant's limits; `extensions.limit` names it "
            'and so does the message, e.g. "query depth 50 exceeds the limit of 12 '
            '(limit: depth)". '
            "Limits: `depth`, `aliases`, `tokens`, `page_size` (`first` literal or variable), "
            "`cost` (each field 1, a page or list multiplies what it selects by `first`, "
            "default 20).",
        ),
        (
            "`LIMIT_EXCEEDED` (`limit: timeout_seconds`)",
            "504",
            "The request ran longer than the tenant's timeout and was stopped. "
            "A mutation stopped before its transaction committed wrote nothing; "
            "one stopped after it did was written: read the object again before retrying.",
        ),
        (
            "`LIMIT_EXCEEDED` (`limit: body_bytes`)",
            "413",
            "The HTTP request body is larger than the limit.",
        ),
        (
            "`PERSISTED_QUERY_NOT_FOUND`",
            "400",
            "Only `extensions.persistedQuery.sha256Hash` was sent and no operation of the contract "
            "has that hash (message `PersistedQueryNotFound`).",
        ),
        (
            "`PERSISTED_QUERY_REQUIRED`",
            "400",
            "The tenant runs only the operations of the contract (`persisted_only`) "
            "and the document sent is not one of them.",
        ),
        (
            "`BAD_REQUEST`",
            "400",
            "`extensions.persistedQuery.sha256Hash` is not the sha256 of the `query` sent with it.",
        ),
        (
            "`RATE_LIMITED`",
            "429",
            "The token or the client address spent its allowance of query cost for the window"
            " (`extensions.scope`: token or ip); nothing ran. Wait `extensions.retryAfter` seconds"
            " (also the `Retry-After` header), then send it again. Refused tokens spend their"
            " address's allowance too.",
        ),
        (
            "`TENANT_TOKEN_REQUIRED`",
            "200",
            "A platform admin's token asked for a field of a tenant's API; it serves only "
            "`tenants`, `onboardTenant` and `deactivateTenant`. The field is null and nothing "
            "was written.",
        ),
        (
            "`INTERNAL`",
            "200",
            "A bug on our side; the field is null and `extensions.requestId` "
            "(also the `X-Request-ID` response header) is what to quote to support.",
        ),
    )
    + """
HTTP-level refusals carry a JSON body `{"errors": [{"message": ...}]}` as well:

| status | when |
|---|---|
"""
    + _table(
        ("401", "No, or no valid, bearer token (`WWW-Authenticate: Bearer`)."),
        (
            "403",
            "A browser request from an origin that is not a registered portal origin "
            "of the tenant (CORS).",
        ),
        ("405", "A mutation sent with GET (`Allow: POST`), or a method other than GET and POST."),
        (
            "400",
            "The body is not JSON, or not a GraphQL request "
            "(`query` missing or not a string, ...).",
        ),
    )
)


def write_generated(contract: Path = CONTRACT) -> list[Path]:
    """Regenerate persisted-operations.json and ERRORS.md in `contract`."""
    from schema.app import schema  # the whole schema imports the services: only when writing

    files = {
        contract / "persisted-operations.json": manifest(operations(contract / "operations")),
        contract / "ERRORS.md": errors_markdown(schema._schema),
    }
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return list(files)


if __name__ == "__main__":
    for written in write_generated():
        print(f"wrote {written}")
