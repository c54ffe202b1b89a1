"""Building the runtime Profile: validate every document kind, run their checks, and build the
profile only when no problem was found; otherwise refuse with every problem at once."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from server.profiles.catalogue import base_catalogue
from server.profiles.crosscheck import cross_check
from server.profiles.document import Document
from server.profiles.documents import KINDS
from server.profiles.problems import Problem, ProblemCode, ProfileInvalidError, ordered
from server.profiles.runtime import Profile
from server.profiles.shape import validate_document

_NAMES = tuple(kind.name for kind in KINDS)


def parse_profile(documents: Mapping[str, Any]) -> Profile:
    """Validate parsed documents (keyed by file name) and build the profile, or raise every
    problem at once."""
    return build_profile(documents)


def build_profile(documents: Mapping[str, Any], *, unreadable: Iterable[Problem] = ()) -> Profile:
    """Like parse_profile, with the problems of documents that could not be read at all."""
    earlier = list(unreadable)
    models, problems = _validate(documents, {problem.document for problem in earlier})
    checks = [kind.check for kind in KINDS]
    problems = earlier + problems + cross_check(checks, documents, base_catalogue())
    if problems:
        raise refusal(problems)
    fields: dict[str, Any] = {}
    for kind in KINDS:
        fields.update(kind.build(models[kind.name]))
    return Profile(**fields, documents=MappingProxyType(copy.deepcopy(dict(documents))))


def refusal(problems: Iterable[Problem]) -> ProfileInvalidError:
    """The error for `problems`, by document in registry order, then by path."""
    return ProfileInvalidError(ordered(problems, _NAMES))


def _validate(
    documents: Mapping[str, Any], unreadable: set[str]
) -> tuple[dict[str, Document | None], list[Problem]]:
    message = f"unknown document (documents: {', '.join(_NAMES)})"
    problems = [
        Problem(name, "", message, ProblemCode.UNKNOWN_DOCUMENT)
        for name in documents
        if name not in _NAMES
    ]
    models: dict[str, Document | None] = {}
    for kind in KINDS:
        if kind.name in documents:
            models[kind.name], found = validate_document(kind, documents[kind.name])
            problems += found
        elif not kind.required:
            models[kind.name] = kind.model()
        elif kind.name not in unreadable:
            missing = Problem(kind.name, "", "missing document", ProblemCode.MISSING_DOCUMENT)
            problems.append(missing)
    return models, problems
