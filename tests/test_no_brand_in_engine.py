"""One engine, many brands: no module of the engine (server/, schema/, workers/, complaintdesk/)
names one of the shipped profiles' brands; what a brand needs is profile data
(policies/profiles/<name>/), its demo included."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ("server", "schema", "workers", "complaintdesk")
# Word-bounded where the name is short, so that ordinary words and identifiers do not match.
BRANDS = re.compile(
    r"skoda|škoda|gtmc|volkswagen|\bvw\b|\bsvw\b|\bjac\b|\b4s\b|generic-4s|toyota|"
    r"斯柯达|大众|江淮|丰田|广汽|上汽",
    re.IGNORECASE,
)
LIMIT = 400  # lines of a module of the profile package


def engine_files() -> list[Path]:
    return sorted(
        path
        for folder in ENGINE
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and path.suffix in (".py", ".mako", ".sql", ".txt", ".yaml")
    )


def test_the_pattern_finds_each_brand_and_spares_ordinary_words():
    for text in ("Skoda", "GTMC CR", "VW rule", "JAC:", "4S §C", "generic-4s", "上汽大众"):
        assert BRANDS.search(text), text
    for text in ("jack", "vwx", "4sec", "abs4s", "javascript", "svg"):
        assert not BRANDS.search(text), text


def test_no_engine_module_names_a_brand():
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in engine_files()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if BRANDS.search(line)
    ]
    assert len(engine_files()) > 100
    assert not found, "\n".join(found)


def test_no_module_of_the_profile_package_is_over_400_lines():
    modules = sorted((ROOT / "server" / "profiles").rglob("*.py"))
    assert len(modules) > 10
    long = {
        str(path.relative_to(ROOT)): n
        for path in modules
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT
    }
    assert not long, long
