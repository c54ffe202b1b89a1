"""profile.yaml: the tenant's name, version, numbering, timezone, working hours and language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field

from server.profiles.document import Document, DocumentKind, LabelModel
from server.profiles.validators import NumberPrefix, ProfileName, Timezone, WorkingHours


class ProfileDoc(Document):
    name: ProfileName
    version: Annotated[str, Field(pattern=r"^\S+$")]
    title: LabelModel
    number_prefix: NumberPrefix
    timezone: Timezone
    working_hours: WorkingHours
    backdate_limit_hours: Annotated[int, Field(ge=0)]
    language: Literal["zh-CN", "en"]


def build(doc: ProfileDoc) -> Mapping[str, Any]:
    return {
        **doc.model_dump(exclude={"title", "working_hours"}),
        "title": doc.title.to_label(),
        "working_hours": tuple(doc.working_hours),
    }


KIND = DocumentKind("profile.yaml", ProfileDoc, build)
