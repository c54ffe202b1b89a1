"""flags.yaml: what intake may tick about a complaint: flags (facts) and demands (wishes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.profiles.crosscheck import Names, RawDocuments
from server.profiles.document import Coded, Document, DocumentKind, by_code
from server.profiles.problems import Problem

DOC = "flags.yaml"


class FlagsDoc(Document):
    flags: list[Coded]
    demands: list[Coded]


def build(doc: FlagsDoc) -> Mapping[str, Any]:
    return {
        "flags": by_code(doc.flags, lambda f: f.label.to_label()),
        "demands": by_code(doc.demands, lambda d: d.label.to_label()),
    }


def check(raw: RawDocuments) -> list[Problem]:
    return raw.duplicates(DOC, "flags", "code") + raw.duplicates(DOC, "demands", "code")


def names(raw: RawDocuments) -> tuple[Names, Names]:
    """The flag codes and the demand codes other documents may name."""
    return (
        Names(raw.names(DOC, "flags"), "flag", "flags"),
        Names(raw.names(DOC, "demands"), "demand", "demands"),
    )


KIND = DocumentKind(DOC, FlagsDoc, build, check)
