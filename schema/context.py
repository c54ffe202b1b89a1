"""The per-request context: the caller (tenant, principal, data access) and its DataLoaders; for a
WebSocket, the per-connection one."""

from __future__ import annotations

from asyncio import Future
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from server.services import queries
from server.services.caller import Caller
from server.settings import Limits


R = TypeVar("R")

# A field's value, or what will make it: resolvers answer with the value when the request already
# holds it, so graphql-core completes the field in place instead of scheduling a task for it.
Soon = R | Awaitable[R]


class Loader(DataLoader[int, Any]):
    def soon(self, key: int, then: Callable[[Any], R]) -> Soon[R]:
        """`then(row)` now when this request holds the key (schema/prefetch.py sees to it for pages);
        else an awaitable that loads it with the next batch."""
        future = self.cache_map.get(key)
        if _holds(future):
            return then(future.result())  # type: ignore[union-attr]
        return self._later(key, then)

    async def _later(self, key: int, then: Callable[[Any], R]) -> R:
        return then(await self.load(key))

    def soon_many(self, keys: Iterable[int], then: Callable[[list[Any]], R]) -> Soon[R]:
        keys = list(keys)
        futures = [self.cache_map.get(k) for k in keys]
        if all(_holds(f) for f in futures):
            return then([f.result() for f in futures])  # type: ignore[union-attr]
        return self._many_later(keys, then)

    async def _many_later(self, keys: list[int], then: Callable[[list[Any]], R]) -> R:
        return then(list(await self.load_many(keys)))

    async def fill(self, keys: Iterable[int]) -> list[Any]:
        """The rows of `keys`, loading those this request does not hold in one batch. Unlike
        load_many it makes no future to await per key: a page fills its loaders this way."""
        keys = list(keys)
        missing = [k for k in dict.fromkeys(keys) if self.cache_map.get(k) is None]
        if missing:
            self.prime_many(dict(zip(missing, await self.load_fn(missing), strict=True)))
        return [self.cache_map.get(k).result() for k in keys]  # type: ignore[union-attr]


def _holds(future: Future[Any] | None) -> bool:
    return future is not None and future.done() and not future.cancelled() and future.exception() is None


def _loader(caller: Caller, fn: Any) -> Loader:
    async def load(keys: list[int]) -> list[Any]:
        return await fn(caller, keys)

    return Loader(load_fn=load)


@dataclass
class Loaders:
    """<Thing>By<Key>: one batched query per kind of thing per request, whatever the page size."""

    caller: Caller
    org_unit_by_id: Loader = field(init=False)
    user_by_id: Loader = field(init=False)
    customer_by_id: Loader = field(init=False)
    vehicle_by_id: Loader = field(init=False)
    phones_by_customer: Loader = field(init=False)
    history_by_order: Loader = field(init=False)
    contacts_by_order: Loader = field(init=False)
    last_event_by_order: Loader = field(init=False)
    clocks_by_order: Loader = field(init=False)
    slips_by_order: Loader = field(init=False)
    calls_by_order: Loader = field(init=False)
    order_by_id: Loader = field(init=False)

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
