"""The compiled operations (the Worklist, Escalations) on each path of schema/compiled.py (issue
19): answered by their compiled statements, and interpreted by graphql-core as before. Both run the
product app (complaintdesk.app.create_app); each factory runs in its own uvicorn process, so the
interpreted one switches compiling off in place, as bench/product_variants.py edits the product for
its variants.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp

from complaintdesk.app import create_app
from schema import compiled as compiled_module
from schema.compiled import CompiledOperations

log = logging.getLogger("complaintdesk.bench")


def compiled() -> ASGIApp:
    """The product as shipped: on PostgreSQL the Worklist is compiled at start-up (its log line
    says so; the harness's check request would show an interpreted answer just the same, so the
    start-up line is what tells)."""
    return create_app()


def interpreted() -> ASGIApp:
    """The product with no compiled operation: every request runs graphql-core, as before."""

    def nothing_compiled(cls: type[CompiledOperations], *_args: object) -> CompiledOperations:
        log.info("bench: compiled operations switched off")
        return cls({})

    switched_off = classmethod(nothing_compiled)
    compiled_module.CompiledOperations.build = switched_off  # type: ignore[assignment]
    return create_app()
