"""The per-request context: the caller (tenant, principal, data access) and its DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from server.services import queries
from server.services.caller import Caller
from server.settings import Limits


def _loader(caller: Caller, fn: Any) -> DataLoader[int, Any]:
    async def load(keys: list[int]) -> list[Any]:
        return await fn(caller, keys)

    return DataLoader(load_fn=load)


@dataclass
class Loaders:
    """<Thing>By<Key>: one batched query per kind of thing per request, whatever the page size."""

    caller: Caller
    org_unit_by_id: DataLoader[int, Any] = field(init=False)
    user_by_id: DataLoader[int, Any] = field(init=False)
    customer_by_id: DataLoader[int, Any] = field(init=False)
    vehicle_by_id: DataLoader[int, Any] = field(init=False)
    phones_by_customer: DataLoader[int, Any] = field(init=False)
    history_by_order: DataLoader[int, Any] = field(init=False)
    contacts_by_order: DataLoader[int, Any] = field(init=False)
    last_event_by_order: DataLoader[int, Any] = field(init=False)
    clocks_by_order: DataLoader[int, Any] = field(init=False)
    slips_by_order: DataLoader[int, Any] = field(init=False)
    calls_by_order: DataLoader[int, Any] = field(init=False)
    order_by_id: DataLoader[int, Any] = field(init=False)

    def __post_init__(self) -> None:
        c = self.caller
        self.org_unit_by_id = _loader(c, queries.org_units)
        self.user_by_id = _loader(c, queries.users)
        self.customer_by_id = _loader(c, queries.customers)
        self.vehicle_by_id = _loader(c, queries.vehicles)
        self.phones_by_customer = _loader(c, queries.phones)
        self.history_by_order = _loader(c, queries.histories)
        self.contacts_by_order = _loader(c, queries.contact_attempts)
        self.last_event_by_order = _loader(c, queries.last_events)
        self.clocks_by_order = _loader(c, queries.clocks)
        self.slips_by_order = _loader(c, queries.slips)
        self.calls_by_order = _loader(c, queries.calls)
        self.order_by_id = _loader(c, queries.orders)

    def forget(self) -> None:
        """After a mutation, this request must not answer from what it loaded before it."""
        for loader in vars(self).values():
            if isinstance(loader, DataLoader):
                loader.clear_all()


@dataclass
class Context:
    caller: Caller
    request_id: str
    limits: Limits = field(default_factory=Limits)  # this request's (schema.limits.limits_for)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.caller)


Info = StrawberryInfo[Context, None]
