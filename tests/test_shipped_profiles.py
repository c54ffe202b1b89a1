"""The five shipped profiles: each imports cleanly, each document cites its source, and each label
reads in Chinese for the tenant's people and in English."""

from __future__ import annotations

import re
from typing import Any

import pytest

from server.profiles import bundled_profile_path, load_profile_dir, read_profile_dir

SHIPPED = ["generic-4s", "gtmc", "jac", "skoda", "vw"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def labels(value: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    if isinstance(value, dict):
        if set(value) == {"zh", "en"}:
            return [(path, value)]
        return [found for k, v in value.items() for found in labels(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [found for i, v in enumerate(value) for found in labels(v, f"{path}[{i}]")]
    return []


@pytest.mark.parametrize("name", SHIPPED)
def test_the_profile_imports_and_its_labels_are_chinese_and_english(name: str) -> None:
    profile = load_profile_dir(bundled_profile_path(name))
    assert profile.name == name
    found = [
        (document, path, label)
        for document, data in read_profile_dir(bundled_profile_path(name)).items()
        for path, label in labels(data)
    ]
    assert len(found) > 20
    not_chinese = [(d, p) for d, p, label in found if not CJK.search(label["zh"])]
    not_english = [(d, p) for d, p, label in found if CJK.search(label["en"]) or not label["en"]]
    assert not not_chinese and not not_english, (not_chinese, not_english)


@pytest.mark.parametrize("name", ["generic-4s", "jac", "vw"])
def test_every_document_cites_its_source(name: str) -> None:
    folder = bundled_profile_path(name)
    uncited = [
        f.name
        for f in sorted(folder.glob("*.yaml"))
        if not re.search(r"DOMAIN|§|source 00\d", f.read_text(encoding="utf-8"))
    ]
    assert not uncited
