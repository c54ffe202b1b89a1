"""The per-request context: the caller (tenant, principal, data access) and its DataLoaders; for a
WebSocket, the per-connection one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
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
    caller_expires_at: datetime | None = None  # the token's expiry: live subscriptions end there
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.caller)


class SocketContext(Context):
    """A graphql-transport-ws connection's context. Browsers cannot set headers on a WebSocket, so
    the caller is known once `connection_init` has brought the token (or the handshake's
    Authorization header, for other clients); the protocol runs nothing before that."""

    def __init__(self, request_id: str, handshake_authorization: str | None, cross_origin: str | None) -> None:
        self.request_id = request_id
        self.handshake_authorization = handshake_authorization
        self.cross_origin = cross_origin  # the browser page's origin, when it is not this service's own
        self.connection_params: dict[str, object] = {}  # the connection_init payload, set by strawberry

    def authenticate(self, caller: Caller, limits: Limits, expires_at: datetime | None) -> None:
        self.caller = caller
        self.limits = limits
        self.caller_expires_at = expires_at
        self.loaders = Loaders(caller)

    @property
    def authorization(self) -> str | None:
        """`{"Authorization": "Bearer <token>"}` in connection_init, else the handshake's header."""
        sent = next((v for k, v in self.connection_params.items() if k.lower() == "authorization"), None)
        return sent if isinstance(sent, str) else self.handshake_authorization


Info = StrawberryInfo[Context, None]
