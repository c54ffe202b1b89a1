"""playbooks.yaml: the handling steps shown for an order's situation, its category
(docs/rules.md#playbooks)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import Field

from server.profiles.crosscheck import Names, RawDocuments
from server.profiles.document import Document, DocumentKind, LabelModel
from server.profiles.documents import categories
from server.profiles.problems import Problem

DOC = "playbooks.yaml"


class _Playbook(Document):
    situation: str  # a category code
    steps: Annotated[list[LabelModel], Field(min_length=1)]


class PlaybooksDoc(Document):
    playbooks: list[_Playbook] = Field(default_factory=list)


def build(doc: PlaybooksDoc) -> Mapping[str, Any]:
    steps = {p.situation: tuple(s.to_label() for s in p.steps) for p in doc.playbooks}
    return {"playbooks": MappingProxyType(steps)}


def check(raw: RawDocuments) -> list[Problem]:
    known = categories.names(raw).known
    situations = Names(known, "situation", "situations (the categories)")
    out = raw.duplicates(DOC, "playbooks", "situation")
    for i, playbook in raw.items(DOC, "playbooks"):
        out += situations.check(DOC, f"playbooks[{i}].situation", playbook.get("situation"))
    return out


KIND = DocumentKind(DOC, PlaybooksDoc, build, check, required=False)
