"""The portal's TypeScript types: graphql-codegen generates them from operations/*.graphql against
schema.graphql into frontend-contract/generated/ (not checked in), and tsc type-checks them."""

from __future__ import annotations

import json

from npm_support import FRONTEND, npm_installed, run


def test_codegen_types_every_operation_and_tsc_accepts_them():
    npm_installed()
    run("npm", "run", "--silent", "codegen")
    generated = (FRONTEND / "generated" / "operations.ts").read_text(encoding="utf-8")
    for operation in json.loads((FRONTEND / "persisted-operations.json").read_text())["operations"]:
        typename = operation["name"] + operation["type"].capitalize()  # e.g. WorklistQuery
        assert (
            f"export type {typename} =" in generated
            and f"export type {typename}Variables =" in generated
        )
    run("npm", "run", "--silent", "typecheck")
