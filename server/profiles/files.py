"""Profile folders: reading the YAML documents of one, and writing a profile's documents back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from server.profiles.builder import build_profile, refusal
from server.profiles.catalogue import POLICIES
from server.profiles.problems import Problem, ProblemCode
from server.profiles.runtime import Profile


def bundled_profile_path(name: str) -> Path:
    return POLICIES / "profiles" / name


def load_profile_dir(path: Path) -> Profile:
    documents, problems = _read_dir(path)
    return build_profile(documents, unreadable=problems)


def read_profile_dir(path: Path) -> dict[str, Any]:
    documents, problems = _read_dir(path)
    if problems:
        raise refusal(problems)
    return documents


def export_profile(profile: Profile) -> dict[str, str]:
    """File name -> YAML text of each stored document (comments are not kept: they are not data)."""
    return {
        name: yaml.safe_dump(dict(doc), allow_unicode=True, sort_keys=False, width=120)
        for name, doc in profile.documents.items()
    }


class _Loader(yaml.SafeLoader):
    """Safe YAML that refuses duplicate keys (the last one would silently win) and keeps dates
    as text."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}", key_node.start_mark
                    )
                seen.add(key)
        return super().construct_mapping(node, deep)


# Dates would load as datetime.date, which is not JSON: the stored documents must be.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _load(text: str) -> Any:
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _read_dir(path: Path) -> tuple[dict[str, Any], list[Problem]]:
    if not path.is_dir():
        raise FileNotFoundError(f"no profile folder at {path}")
    documents: dict[str, Any] = {}
    problems: list[Problem] = []
    for file in sorted(f for f in path.iterdir() if f.suffix in (".yaml", ".yml")):
        try:
            documents[file.name] = _load(file.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            problems.append(Problem(file.name, "", _yaml_message(exc), ProblemCode.INVALID_YAML))
    return documents, problems


def _yaml_message(exc: yaml.YAMLError) -> str:
    # Where in the file, not a path in the document: the document could not be read at all.
    mark = getattr(exc, "problem_mark", None)
    message = f"invalid YAML: {getattr(exc, 'problem', None) or exc}"
    return f"line {mark.line + 1}, column {mark.column + 1}: {message}" if mark else message
