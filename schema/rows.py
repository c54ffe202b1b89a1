"""Fields read straight from a row: each is a RowField whose getter sits in its metadata, so
strawberry takes its fast path (no Info object, no arguments, no extension chain; see the
docstring of schema/types.py and bench/README.md, finding 2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from strawberry.types.field import StrawberryField

from schema.ids import encode

_GET = "get"


class RowField(StrawberryField):
    """The getter sits in the metadata because strawberry copies fields by their arguments."""

    def get_result(self, source: Any, info: Any, args: list[Any], kwargs: Any) -> Any:
        get, of_row = self.metadata[_GET]
        if get is None:
            return getattr(source.row, self.python_name)
        return get(source.row) if of_row else get(source)


def from_row(description: str, get: Callable[[Any], Any] | None = None) -> Any:
    """`get(row)`, or the row's attribute of the same name."""
    return RowField(description=description, default=None, metadata={_GET: (get, True)})


def computed(description: str, get: Callable[[Any], Any]) -> Any:
    """`get(obj)`: from the object's row and its request (`obj.ctx`)."""
    return RowField(description=description, default=None, metadata={_GET: (get, False)})


def global_id(type_name: str) -> Any:
    return from_row("Opaque global id.", lambda row: encode(type_name, row.id))
