"""The two CSV files of an onboarding, read and checked row by row: the org tree (units by path,
each with its path worked out from its parents) and the people with their grants. Every problem is
named by file, row and column; the formats are in server/services/onboarding.py."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

from server.domain.errors import FieldProblem
from server.domain.tree import child_path, valid_code
from server.security.authz import RANKS
from server.services.organisation import KINDS, hours_problems
from server.services.people import USERNAME

CSV_BYTES = 4_000_000  # each file: about 40,000 rows, far more than the largest OEM
ORG_COLUMNS = ("code", "parent", "kind", "name")
USER_COLUMNS = ("login", "name", "email", "role", "org_unit")
ENCODINGS = "UTF-8 (with or without a BOM) or GB18030"


@dataclass
class Unit:
    row: int
    code: str
    parent: str
    kind: str
    name: str
    hours: dict[str, Any]
    path: str = ""


@dataclass
class Person:
    row: int
    login: str
    name: str
    email: str | None
    grants: list[tuple[str, str, int]]  # (role, unit path, row)


class Problems:
    def __init__(self) -> None:
        self.found: list[FieldProblem] = []

    def add(self, file: str, row: int | None, column: str | None, message: str) -> None:
        path = tuple(part for part in (file, None if row is None else str(row), column) if part)
        where = ", ".join(
            part
            for part in (f"row {row}" if row else "", f"column {column}" if column else "")
            if part
        )
        self.found.append(FieldProblem(path, f"{where}: {message}" if where else message))


def _decode(file: str, data: bytes, problems: Problems) -> str | None:
    if len(data) > CSV_BYTES:
        problems.add(
            file, None, None, f"the file is {len(data):,} bytes; the limit is {CSV_BYTES:,}"
        )
        return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    problems.add(file, None, None, f"the file is neither {ENCODINGS}: save it as CSV UTF-8")
    return None


def read_rows(
    file: str, data: bytes, columns: tuple[str, ...], problems: Problems
) -> list[tuple[int, dict[str, str]]]:
    """(row number, cells by column) of each non-empty row; the header must name `columns`."""
    text = _decode(file, data, problems)
    if text is None:
        return []
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [cell.strip().lower() for cell in next(reader, [])]
    missing = [c for c in columns if c not in header]
    if missing:
        problems.add(file, 1, None, f"the header lacks the columns {', '.join(missing)}")
        return []
    rows = []
    for number, cells in enumerate(reader, start=2):
        if any(cell.strip() for cell in cells):
            rows.append(
                (
                    number,
                    {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)},
                )
            )
    if not rows:
        problems.add(file, None, None, "the file has no rows below its header")
    return rows


def read_org(
    rows: list[tuple[int, dict[str, str]]], root: str, problems: Problems
) -> dict[str, Unit]:
    """The units by path, each with its path worked out from its parents."""
    file = "orgCsv"
    by_code: dict[str, list[Unit]] = {}
    units: list[Unit] = []
    for number, cells in rows:
        unit = Unit(number, cells["code"], cells["parent"], cells["kind"], cells["name"], {})
        if not valid_code(unit.code):
            problems.add(
                file,
                number,
                "code",
                f"'{unit.code}': use 2-40 lowercase letters, digits and hyphens",
            )
        if unit.kind not in KINDS[1:]:
            problems.add(file, number, "kind", f"'{unit.kind}': kinds are {', '.join(KINDS[1:])}")
        if not 0 < len(unit.name) <= 200:
            problems.add(file, number, "name", "give a name of 1 to 200 characters")
        unit.hours = _hours(file, number, cells, problems)
        for earlier in by_code.get(unit.code, []):
            if unit.kind != "department" or earlier.kind != "department":
                problems.add(
                    file,
                    number,
                    "code",
                    f"duplicate {unit.kind} code '{unit.code}' (first at row {earlier.row})",
                )
                break
        by_code.setdefault(unit.code, []).append(unit)
        units.append(unit)
    by_path: dict[str, Unit] = {}
    for unit in units:
        parent = root if not unit.parent else _parent(unit, by_code, problems)
        if parent is None:
            continue
        unit.path = child_path(parent, unit.code)
        first = by_path.setdefault(unit.path, unit)
        # Other kinds' duplicate codes are reported above; departments share codes, not paths.
        if first is not unit and unit.kind == first.kind == "department":
            message = f"duplicate unit {unit.path} (first at row {first.row})"
            problems.add(file, unit.row, "code", message)
    return by_path


def _parent(unit: Unit, by_code: dict[str, list[Unit]], problems: Problems) -> str | None:
    """The path of the unit's parent, or None when no unit can be; a parent comes earlier in the
    file, so its path is known."""
    found = [u for u in by_code.get(unit.parent, []) if u.row < unit.row and u.path]
    if len(found) != 1:
        reason = "is no unit of an earlier row" if not found else "names several units"
        problems.add("orgCsv", unit.row, "parent", f"'{unit.parent}' {reason}")
        return None
    parent = found[0]
    if unit.kind in KINDS and KINDS.index(unit.kind) <= KINDS.index(parent.kind):
        problems.add("orgCsv", unit.row, "kind", f"a {unit.kind} cannot lie under a {parent.kind}")
    return parent.path


def _hours(file: str, number: int, cells: dict[str, str], problems: Problems) -> dict[str, Any]:
    hours: dict[str, Any] = {}
    if cells.get("timezone"):
        hours["timezone"] = cells["timezone"]
    if cells.get("working_hours"):
        hours["working_hours"] = re.split(r"[\s;,、]+", cells["working_hours"])
    if cells.get("working_weekdays"):
        days = re.split(r"[\s;,、]+", cells["working_weekdays"])
        if all(d.isdigit() for d in days):
            hours["working_weekdays"] = [int(d) for d in days]
        else:
            problems.add(file, number, "working_weekdays", "weekdays are numbers 0 (Monday) to 6")
    for found in hours_problems(
        hours.get("timezone"), hours.get("working_hours"), hours.get("working_weekdays")
    ):
        column = {"workingHours": "working_hours", "workingWeekdays": "working_weekdays"}.get(
            found.path[0], found.path[0]
        )
        problems.add(file, number, column, found.message)
    return hours


def read_users(
    rows: list[tuple[int, dict[str, str]]], units: dict[str, Unit], root: str, problems: Problems
) -> dict[str, Person]:
    file = "usersCsv"
    codes = {u.code: u.path for u in units.values() if u.kind != "department"}
    people: dict[str, Person] = {}
    admin = False
    for number, cells in rows:
        login, role, where = cells["login"].lower(), cells["role"], cells["org_unit"]
        if not USERNAME.match(login):
            problems.add(
                file, number, "login", f"'{login}': use 2-80 lowercase letters, digits and . _ @ -"
            )
        if role not in RANKS:
            problems.add(file, number, "role", f"unknown role '{role}' (roles: {', '.join(RANKS)})")
        path = (
            root if not where else (root + where if where.startswith("/") else codes.get(where, ""))
        )
        if path != root and path not in units:
            problems.add(file, number, "org_unit", f"'{where}' is no unit of the org file")
        person = people.setdefault(
            login, Person(number, login, cells["name"], cells.get("email") or None, [])
        )
        if person.row == number and not 0 < len(person.name) <= 200:
            problems.add(file, number, "name", "give a name of 1 to 200 characters")
        elif cells["name"] and cells["name"] != person.name:
            problems.add(
                file, number, "name", f"'{login}' is named '{person.name}' at row {person.row}"
            )
        if any(r == role and p == path for r, p, _ in person.grants):
            problems.add(
                file, number, "role", f"'{login}' holds {role} at {where or 'the root'} already"
            )
        person.grants.append((role, path, number))
        admin = admin or (role == "tenant_admin" and path == root)
    if rows and not admin:
        problems.add(
            file,
            None,
            "role",
            "no tenant_admin at the brand root: nobody could administer the tenant",
        )
    return people
