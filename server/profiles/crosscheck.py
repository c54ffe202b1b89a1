"""Checks of what one document says about another (states, grades, tiers, permissions, events).

These read the raw documents, not the models, so they still run where a document has shape
errors (pydantic reports those): the author sees every problem in one pass. A list that is
missing or not a list gives no names (None), and references to it are then not checked, so
one broken list does not turn every reference to it into a second error. Each document kind
checks the references it makes (its `check`), with the helpers here; `cross_check` runs them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from server.profiles.catalogue import Catalogue
from server.profiles.problems import Problem, ProblemCode


class RawDocuments:
    """The documents as parsed from YAML or JSON, read defensively, and the base catalogue."""

    def __init__(self, documents: Mapping[str, Any], catalogue: Catalogue):
        self._documents = documents
        self.catalogue = catalogue

    def value(self, doc: str, key: str) -> Any:
        data = self._documents.get(doc)
        return data.get(key) if isinstance(data, dict) else None

    def items(self, doc: str, key: str) -> list[tuple[int, dict[str, Any]]]:
        values = self.value(doc, key)
        if not isinstance(values, list):
            return []
        return [(i, v) for i, v in enumerate(values) if isinstance(v, dict)]

    def names(self, doc: str, key: str, field: str = "code") -> list[str] | None:
        if not isinstance(self.value(doc, key), list):
            return None
        return [
            name for _, item in self.items(doc, key) if (name := text(item.get(field))) is not None
        ]

    def duplicates(self, doc: str, items: str, key: str) -> list[Problem]:
        first: dict[Any, int] = {}
        out: list[Problem] = []
        for i, item in self.items(doc, items):
            value = item.get(key)
            if isinstance(value, (str, int)) and value in first:
                message = f"duplicate {key} {value!r} (first at {items}[{first[value]}])"
                out.append(Problem(doc, f"{items}[{i}].{key}", message, ProblemCode.DUPLICATE))
            elif isinstance(value, (str, int)):
                first[value] = i
        return out


Check = Callable[[RawDocuments], list[Problem]]  # a document kind's check


def cross_check(
    checks: Iterable[Check], documents: Mapping[str, Any], catalogue: Catalogue
) -> list[Problem]:
    raw = RawDocuments(documents, catalogue)
    return [problem for check in checks for problem in check(raw)]


def text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def mapping(value: Any) -> dict[str, Any]:
    """The value if it is a mapping (a YAML or JSON object), else an empty one."""
    return value if isinstance(value, dict) else {}


def texts(item: Any, key: str) -> list[tuple[int, str]]:
    """The strings of the list at `key` with their indices; nothing if there is no such list."""
    values = item.get(key) if isinstance(item, dict) else None
    if not isinstance(values, list):
        return []
    return [(j, v) for j, v in enumerate(values) if isinstance(v, str)]


@dataclass(frozen=True)
class Names:
    """What a reference may name: `known` is None where the list it comes from is unusable."""

    known: Sequence[str] | None
    what: str  # e.g. "grade"
    plural: str  # e.g. "grades", before the list of known names in a message

    def check(self, doc: str, path: str, value: Any) -> list[Problem]:
        """An unknown reference, naming what is valid; nothing if value or known is unusable."""
        if self.known is None or not isinstance(value, str) or value in self.known:
            return []
        listed = ", ".join(self.known) or "none"
        message = f"unknown {self.what} {value!r} ({self.plural}: {listed})"
        return [Problem(doc, path, message, ProblemCode.UNKNOWN_REFERENCE)]
