"""Free text from people: bounded, printable, and kept in their own words."""

from __future__ import annotations

import unicodedata

MAX_TEXT = 10_000
ALLOWED_CONTROLS = frozenset("\n\t")


def text_problem(value: str | None, *, required: bool, limit: int = MAX_TEXT) -> str | None:
    """Why `value` cannot be stored, or None when it can."""
    if value is None or not value.strip():
        return "must not be empty" if required else None
    if len(value) > limit:
        return f"is {len(value)} characters long; the limit is {limit}"
    bad = next((c for c in value if unicodedata.category(c) == "Cc" and c not in ALLOWED_CONTROLS), None)
    if bad is not None:
        return f"contains the control character U+{ord(bad):04X}; remove it"
    return None
