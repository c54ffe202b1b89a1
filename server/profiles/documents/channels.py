"""channels.yaml: the ways a complaint reaches the tenant (hotline, web, dealer, ...)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field

from server.profiles.crosscheck import Names, RawDocuments
from server.profiles.document import Coded, Document, DocumentKind, by_code
from server.profiles.problems import Problem
from server.profiles.runtime import Channel

DOC = "channels.yaml"


class ChannelsDoc(Document):
    channels: Annotated[list[Coded], Field(min_length=1)]


def build(doc: ChannelsDoc) -> Mapping[str, Any]:
    return {"channels": by_code(doc.channels, lambda c: Channel(c.code, c.label.to_label()))}


def check(raw: RawDocuments) -> list[Problem]:
    return raw.duplicates(DOC, "channels", "code")


def names(raw: RawDocuments) -> Names:
    """The channel codes other documents may name."""
    return Names(raw.names(DOC, "channels"), "channel", "channels")


KIND = DocumentKind(DOC, ChannelsDoc, build, check)
