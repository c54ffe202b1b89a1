"""What a refused profile reports: problems an author can act on."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from server.profiles import ProfileInvalidError, bundled_profile_path, parse_profile, read_profile_dir


@pytest.fixture
def documents() -> dict[str, Any]:
    return copy.deepcopy(read_profile_dir(bundled_profile_path("skoda")))


def test_a_list_item_or_nested_key_that_is_not_a_mapping_says_so_without_python_names(documents):
    documents["channels.yaml"]["channels"][1] = "fax"
    documents["grades.yaml"]["grades"][0]["label"] = "Grade A"
    with pytest.raises(ProfileInvalidError) as refused:
        parse_profile(documents)
    assert refused.value.errors == [
        "channels.yaml: channels[1]: expected a mapping of keys (got 'fax')",
        "grades.yaml: grades[0].label: expected a mapping of keys (got 'Grade A')",
    ]
