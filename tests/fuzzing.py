"""Hypothesis strategies for the arguments of every root field, made from the GraphQL schema
itself, seeded with the hostile inputs of tests/test_hostile_input.py and tests/test_bad_input.py.
Used by tests/test_fuzz.py."""

from __future__ import annotations

import base64
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    get_named_type,
)
from hypothesis import strategies as st
from support import VIN

HOSTILE_TEXT = [
    "",
    "   ",
    "客户来电\ud800",  # lone surrogate
    "100\x00",  # NUL
    "客户\x07来电",  # control character
    "赠品\u202e已兑现",  # bidi override
    "\u200b\u200d\ufeff",  # zero-width only
    "长" * 10_001,
    "京" * 21,
    "' OR 1=1 --",
    "%_\\",
    "A9x",
    "pigeon",
    "bogus",
    "Z",
    "12345",
    "13812345678",
    "LSVJETH8271PG8B14",  # bad check digit
    VIN,
    "😀" * 3,
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "2025-02-30T00:00:00Z",
    "9999-12-31T23:59:59+00:00",
    "0001-01-01",
]
HOSTILE_INTS = [0, -1, 1, 2, 20, 100, 101, 2**31 - 1, -(2**31), 3_000_000]
DATES = ["2025-03-04", "2025-02-29", "1900-01-01", "9999-12-31", "2025-13-01", "today"]
DATETIMES = [
    "2025-09-30T02:00:00Z",
    "2025-09-30T10:00:00+08:00",
    "2025-09-30T10:00:00",  # no offset
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "2025-02-30T00:00:00Z",
    "yesterday",
]


def forged_ids() -> list[str]:
    """Ids that decode to nothing, to a number past any column, or to nothing at all."""
    raw = [
        "WorkOrder:-1",
        "WorkOrder:0",
        "WorkOrder:99999999999999999999",
        "WorkOrder:0x10",
        "WorkOrder:１",  # full-width digit
        "User:1e3",
        "Nothing:1",
        "WorkOrder",
    ]
    return [base64.urlsafe_b64encode(r.encode()).decode().rstrip("=") for r in raw] + [
        "!!!",
        "",
        "a" * 300,
    ]


def text() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=40))


def for_input(kind: GraphQLInputType, ids: list[str], depth: int = 0) -> st.SearchStrategy[Any]:
    if isinstance(kind, GraphQLNonNull):
        return _required(kind.of_type, ids, depth)
    return st.one_of(st.none(), _required(kind, ids, depth))


def _required(kind: Any, ids: list[str], depth: int) -> st.SearchStrategy[Any]:
    if isinstance(kind, GraphQLList):
        return st.lists(for_input(kind.of_type, ids, depth), max_size=3)
    if isinstance(kind, GraphQLEnumType):
        return st.sampled_from(sorted(kind.values))
    if isinstance(kind, GraphQLInputObjectType):
        required, optional = {}, {}
        for name, field in kind.fields.items():
            target = required if isinstance(field.type, GraphQLNonNull) else optional
            target[name] = for_input(field.type, ids, depth + 1)
        return st.fixed_dictionaries(required, optional=optional if depth < 3 else {})
    assert isinstance(kind, GraphQLScalarType), kind
    return _scalar(kind.name, ids)


def _scalar(name: str, ids: list[str]) -> st.SearchStrategy[Any]:
    if name == "ID":
        return st.sampled_from(ids + forged_ids())
    if name == "Int":
        return st.one_of(st.sampled_from(HOSTILE_INTS), st.integers(-(2**31), 2**31 - 1))
    if name in ("Float", "Decimal"):
        return st.one_of(st.sampled_from([0, -1.5, 1e308, 0.1]), st.floats(allow_nan=False))
    if name == "Boolean":
        return st.booleans()
    if name == "Date":
        return st.sampled_from(DATES)
    if name == "DateTime":
        return st.sampled_from(DATETIMES)
    if name == "JSON":
        return st.one_of(
            st.sampled_from([{}, [], "x", 1, {"profile.yaml": {"name": 1}}]),
            st.dictionaries(st.sampled_from(["profile.yaml", "a"]), text(), max_size=2),
        )
    return text()


def selection(field: GraphQLField) -> str:
    """__typename, and the id of whatever has one: enough to see what came back, and whose."""
    kind = get_named_type(field.type)
    if isinstance(kind, GraphQLUnionType):
        parts = [f"... on {m.name} {{ id }}" for m in kind.types if "id" in m.fields]
        return "{ __typename " + " ".join(parts) + " }"
    if isinstance(kind, GraphQLObjectType):
        return "{ __typename" + (" id" if "id" in kind.fields else "") + " }"
    return ""


def document(kind: str, name: str, field: GraphQLField) -> str:
    """One operation calling the root field with every argument as a variable."""
    variables = ", ".join(f"${a}: {arg.type}" for a, arg in field.args.items())
    arguments = ", ".join(f"{a}: ${a}" for a in field.args)
    head = f"{kind} Fuzz({variables})" if variables else f"{kind} Fuzz"
    call = f"{name}({arguments})" if arguments else name
    return f"{head} {{ {call} {selection(field)} }}"
