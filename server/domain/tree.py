"""Org units are addressed by materialised paths (/acme/east/dlr-0231); a grant holds for its
subtree."""

from __future__ import annotations


def covers(ancestor: str, path: str) -> bool:
    """True when `path` is `ancestor` or lies below it (/acme/east does not cover
    /acme/eastern)."""
    return path == ancestor or path.startswith(ancestor.rstrip("/") + "/")


def child_path(parent: str, code: str) -> str:
    return f"{parent.rstrip('/')}/{code}"


def outermost(paths: list[str]) -> list[str]:
    """The paths not already covered by another one in the list."""
    kept: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(covers(k, path) for k in kept):
            kept.append(path)
    return kept


def valid_code(code: str) -> bool:
    """Path segments: lowercase ASCII letters, digits and hyphens, so a path is also a safe LIKE
    prefix."""
    return 2 <= len(code) <= 40 and all(
        c.isascii() and (c.isdigit() or c.islower() or c == "-") for c in code
    )
