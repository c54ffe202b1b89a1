"""What each document kind is: a pydantic model, its checks and the Profile fields it gives."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ConfigDict

from server.domain.workflow import Label
from server.profiles.crosscheck import Check, RawDocuments
from server.profiles.problems import Problem
from server.profiles.validators import Code, Text


class Document(BaseModel):
    # strict: YAML already gives real types, so "3" for a number or 2026.1 for a version is a typo.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class LabelModel(Document):
    zh: Text
    en: Text

    def to_label(self) -> Label:
        return Label(zh=self.zh, en=self.en)


class Coded(Document):
    code: Code
    label: LabelModel


def by_code(items: Iterable[Any], build: Callable[[Any], Any]) -> Mapping[str, Any]:
    """Read-only, keyed by code, in document order."""
    return MappingProxyType({item.code: build(item) for item in items})


def no_checks(raw: RawDocuments) -> list[Problem]:
    return []


@dataclass(frozen=True)
class DocumentKind:
    """One document of a profile. The builder validates each kind in registry order, runs its
    `check` on the raw documents, and only when no kind found a problem calls every `build`."""

    name: str  # the file name, e.g. "workflow.yaml"
    model: type[Document]
    build: Callable[[Any], Mapping[str, Any]]  # the model -> the Profile fields it gives
    check: Check = no_checks  # what the document says about others, beyond its own shape
    required: bool = True  # an optional document that is left out counts as an empty one
