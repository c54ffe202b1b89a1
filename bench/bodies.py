"""Request bodies: the contract's Worklist, Escalations and RegisterComplaint operations, as the
portal sends them.

Every registration names a phone and a VIN never seen before, so each one creates a customer and a
vehicle. They are counted on from the highest benchmark phone already in the database (prefix 136;
the generator's customers use 139), so repeated runs keep creating new customers.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.identifiers import VINS, vin

OPERATIONS = Path(__file__).resolve().parents[1] / "frontend-contract" / "operations"
PHONE, VIN = "__PHONE__", "__VIN__"
PHONE_PREFIX = "136"


def operation(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


def worklist(first: int = 50) -> str:
    return json.dumps(
        {"query": operation("Worklist"), "operationName": "Worklist", "variables": {"first": first}}
    )


def escalations(first: int = 50) -> str:
    variables = {"first": first}
    return json.dumps(
        {"query": operation("Escalations"), "operationName": "Escalations", "variables": variables}
    )


def registration(dealer_gid: str) -> tuple[str, str, str]:
    """The body split around the phone and the VIN: (before phone, between, after VIN)."""
    data = {
        "dealerId": dealer_gid,
        "customer": {"name": "王先生", "phones": [PHONE]},
        "vehicle": {"vin": VIN, "model": "明锐"},
        "channel": "hotline_400",
        "category": "A4a",
        "summary": "销售顾问承诺的赠品未兑现",
        "details": "客户称：提车时销售顾问承诺赠送脚垫，至今未兑现，多次联系经销商无果。",
    }
    request = {
        "query": operation("RegisterComplaint"),
        "operationName": "RegisterComplaint",
        "variables": {"input": data},
    }
    body = json.dumps(request)
    head, rest = body.split(PHONE)
    middle, tail = rest.split(VIN)
    return head, middle, tail


def fill(parts: tuple[str, str, str], key: tuple[str, str]) -> str:
    return parts[0] + key[0] + parts[1] + key[1] + parts[2]


def keys(start: int, count: int) -> list[tuple[str, str]]:
    """(phone, VIN) pairs start .. start+count-1: a national mobile number and a VIN of maker
    LVV."""
    # Both wrap around (at 10^8 phones, 33 million VINs): a complaint then names a known customer or
    # vehicle.
    return [
        (f"{PHONE_PREFIX}{k % 10**8:08d}", vin("LVV", "JETH8", "S", k % VINS))
        for k in range(start, start + count)
    ]


async def next_key(engine: AsyncEngine, tenant_id: int) -> int:
    query = text("SELECT max(number) FROM customer_phones WHERE tenant_id = :t AND number LIKE :p")
    async with engine.connect() as conn:
        highest = (await conn.execute(query, {"t": tenant_id, "p": f"+86{PHONE_PREFIX}%"})).scalar()
    return int(highest[-8:]) + 1 if highest else 0
