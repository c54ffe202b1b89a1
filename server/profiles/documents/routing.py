"""routing.yaml: the tiers an order is routed to (dealer, region, brand)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field

from server.profiles.crosscheck import Names, RawDocuments
from server.profiles.document import Coded, Document, DocumentKind, by_code
from server.profiles.problems import Problem
from server.profiles.runtime import Tier

DOC = "routing.yaml"


class TierModel(Coded):
    level: Literal["dealer", "region", "brand"]


class RoutingDoc(Document):
    tiers: Annotated[list[TierModel], Field(min_length=1)]


def build(doc: RoutingDoc) -> Mapping[str, Any]:
    return {"tiers": by_code(doc.tiers, lambda t: Tier(t.code, t.label.to_label(), t.level))}


def check(raw: RawDocuments) -> list[Problem]:
    return raw.duplicates(DOC, "tiers", "code")


def names(raw: RawDocuments) -> Names:
    """The tier codes other documents may name."""
    return Names(raw.names(DOC, "tiers"), "tier", "tiers")


KIND = DocumentKind(DOC, RoutingDoc, build, check)
