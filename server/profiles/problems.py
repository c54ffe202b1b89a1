"""What is wrong with a profile, as data: the document, the path inside it, a message, a code.

Callers read the fields (the GraphQL layer maps document and path to a field path); the one
line `<document>: <path>: <message>` is only for people (the CLI, logs).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from server.domain.errors import DomainError


class ProblemCode(StrEnum):
    """What kind of problem, for a program; the message says it for a person."""

    INVALID_YAML = "invalid_yaml"
    UNKNOWN_DOCUMENT = "unknown_document"
    MISSING_DOCUMENT = "missing_document"
    NOT_A_MAPPING = "not_a_mapping"
    UNKNOWN_KEY = "unknown_key"
    MISSING_KEY = "missing_key"
    WRONG_TYPE = "wrong_type"
    INVALID_VALUE = "invalid_value"
    UNKNOWN_REFERENCE = "unknown_reference"
    DUPLICATE = "duplicate"
    MISSING_DEFAULT_GRADE = "missing_default_grade"
    FINAL_INITIAL_STATE = "final_initial_state"
    LEAVES_FINAL_STATE = "leaves_final_state"
    RESERVED_NAME = "reserved_name"
    NO_RESOLUTION = "no_resolution"
    UNPAIRED_PAUSE = "unpaired_pause"
    STOPS_ON_START = "stops_on_start"
    OVERLAPPING_CLOCKS = "overlapping_clocks"
    NOTHING_TO_REMOVE = "nothing_to_remove"
    WRONG_LIST = "wrong_list"
    NEVER_MATCHES = "never_matches"
    ALWAYS_FIRES = "always_fires"
    AMBIGUOUS = "ambiguous"


@dataclass(frozen=True)
class Problem:
    document: str  # the file name, e.g. "workflow.yaml"
    path: str  # inside the document, e.g. "transitions[3].to"; "" for the whole document
    message: str
    code: ProblemCode

    def __str__(self) -> str:
        if self.path:
            return f"{self.document}: {self.path}: {self.message}"
        return f"{self.document}: {self.message}"


class ProfileInvalidError(DomainError):
    """Every problem found in a profile; nothing was imported."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(self.errors))

    @property
    def errors(self) -> list[str]:
        return [str(problem) for problem in self.problems]


def ordered(problems: Iterable[Problem], documents: Sequence[str]) -> list[Problem]:
    """By document in `documents` order (others last), then by path, list indices numerically."""
    rank = {name: i for i, name in enumerate(documents)}
    return sorted(problems, key=lambda p: (rank.get(p.document, len(rank)), _path_key(p.path)))


def _path_key(path: str) -> list[Any]:
    # "clocks[10]" sorts after "clocks[2]": digits compare as numbers. re.split alternates text
    # and digits, so the keys of two paths always compare like with like.
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path)]
