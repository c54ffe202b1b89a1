"""Free text from people: bounded, printable, and kept in their own words."""

from __future__ import annotations

import unicodedata

from server.domain import bounds

ALLOWED_CONTROLS = frozenset("\n\t")
# Embeddings, overrides and isolates reorder what a reader sees (Trojan Source): a summary could
# read differently on screen than it is stored. The marks U+200E/U+200F stay: they only nudge.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Letters that draw nothing (Hangul fillers, the grapheme joiner), beside format characters (Cf).
BLANK_LETTERS = frozenset("\u034f\u115f\u1160\u3164\uffa0")


def text_problem(
    value: str | None, *, required: bool, limit: int = bounds.TEXT, one_line: bool = False
) -> str | None:
    """Why `value` cannot be stored, or None when it can; `one_line` refuses tabs and newlines."""
    if value is None or not any(_visible(c) for c in value):
        if value and value.strip():
            return "has no visible characters"
        return "must not be empty" if required else None
    if len(value) > limit:
        return f"is {len(value)} characters long; the limit is {limit}"
    for c in value:
        if problem := _character_problem(c, one_line):
            return problem
    return None


def _visible(c: str) -> bool:
    return not c.isspace() and unicodedata.category(c) != "Cf" and c not in BLANK_LETTERS


def _character_problem(c: str, one_line: bool) -> str | None:
    category = unicodedata.category(c)
    if category == "Cs":
        return f"contains U+{ord(c):04X}, half of a surrogate pair: send valid UTF-8"
    if category == "Cc" and (one_line or c not in ALLOWED_CONTROLS):
        return f"contains the control character U+{ord(c):04X}; remove it"
    if c in BIDI_CONTROLS:
        return f"contains the bidirectional control U+{ord(c):04X}; remove it"
    return None
