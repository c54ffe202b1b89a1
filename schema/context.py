"""The per-request context: the caller (tenant, principal, data access) and its DataLoaders; for a
WebSocket, the per-connection one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from graphql import GraphQLError
from strawberry.dataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from schema.rate_limits import RateKeys
from server.services import order_facts, queries, revisits, written_reports
from server.services.caller import Caller
from server.services.platform import PlatformCaller
from server.settings import Limits

if TYPE_CHECKING:
    from schema.compiled import CompiledOperations

R = TypeVar("R")

# A field's value, or what will make it: resolvers answer with the value when the request already
# holds it, so graphql-core completes the field in place instead of scheduling a task for it.
Soon = R | Awaitable[R]


_MISSING = object()


class Loader(DataLoader[int, Any]):
    """A DataLoader that keeps the rows this request holds in a plain dict as well, so a field
    answers from it at once: a 50-order page reads it ~400 times, and a look-up of a DataLoader
    future (cache key, done, cancelled, exception, result) costs several times a dict read."""

    def __init__(self, load_fn: Callable[[list[int]], Awaitable[Sequence[Any]]]) -> None:
        super().__init__(load_fn=load_fn)
        self.held: dict[int, Any] = {}

    def soon(self, key: int, then: Callable[[Any], R]) -> Soon[R]:
        """`then(row)` now when this request holds the key (schema/prefetch.py sees to it for
        pages); else an awaitable that loads it with the next batch."""
        row = self.held.get(key, _MISSING)
        if row is _MISSING:
            return self._later(key, then)
        return then(row)

    async def _later(self, key: int, then: Callable[[Any], R]) -> R:
        row = self.held[key] = await self.load(key)
        return then(row)

    def soon_many(self, keys: Iterable[int], then: Callable[[list[Any]], R]) -> Soon[R]:
        keys = list(keys)
        rows = [self.held.get(k, _MISSING) for k in keys]
        if _MISSING in rows:
            return self._many_later(keys, then)
        return then(rows)

    async def _many_later(self, keys: list[int], then: Callable[[list[Any]], R]) -> R:
        rows = list(await self.load_many(keys))
        self.held.update(zip(keys, rows, strict=True))
        return then(rows)

    async def fill(self, keys: Iterable[int]) -> list[Any]:
        """The rows of `keys`, loading those this request does not hold in one batch: how a page
        loads what it shows before graphql-core walks it."""
        keys = list(keys)
        missing = [k for k in dict.fromkeys(keys) if k not in self.held]
        if missing:
            self.held.update(zip(missing, await self.load_fn(missing), strict=True))
        return [self.held[k] for k in keys]

    def load(self, key: int) -> Awaitable[Any]:
        row = self.held.get(key, _MISSING)
        if row is _MISSING:
            return super().load(key)
        held = self.loop.create_future()
        held.set_result(row)
        return held

    def prime_many(self, data: Mapping[int, Any], force: bool = False) -> None:
        """DataLoader.prime goes through here too."""
        for key, row in data.items():
            if force or key not in self.held:
                self.held[key] = row

    def clear(self, key: int) -> None:
        self.clear_many([key])

    def clear_many(self, keys: Iterable[int]) -> None:
        for key in keys:
            self.held.pop(key, None)
            if self.cache_map.get(key) is not None:
                self.cache_map.delete(key)

    def clear_all(self) -> None:
        self.held.clear()
        super().clear_all()


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
    revisits_by_order: Loader = field(init=False)
    attempts_by_revisit: Loader = field(init=False)
    written_reports_by_order: Loader = field(init=False)
    facts_by_order: Loader = field(init=False)

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
        self.revisits_by_order = _loader(c, revisits.by_orders)
        self.written_reports_by_order = _loader(c, written_reports.by_orders)
        self.facts_by_order = _loader(c, order_facts.by_orders)
        self.attempts_by_revisit = _loader(c, revisits.attempts)

    def forget(self) -> None:
        """After a mutation, this request must not answer from what it loaded before it."""
        for loader in vars(self).values():
            if isinstance(loader, DataLoader):
                loader.clear_all()


# What a platform admin's token gets from a field of a tenant's API (frontend-contract/ERRORS.md).
PLATFORM_REFUSAL = (
    "This field belongs to a tenant's API and needs a tenant user's token; a platform admin's "
    "token serves only tenants, onboardTenant and deactivateTenant."
)


@dataclass
class Context:
    # None for the platform admin, who acts in no tenant: only the platform's fields
    # (schema/onboarding.py) serve them, from `platform`; every other field asks `caller`.
    tenant_caller: Caller | None
    request_id: str
    limits: Limits = field(default_factory=Limits)  # this request's (schema.limits.limits_for)
    caller_expires_at: datetime | None = None  # the token's expiry: live subscriptions end there
    platform: PlatformCaller | None = None
    rate: RateKeys | None = None  # what the request's cost is charged to; None: not limited
    # The persisted operations answered by one statement (schema/compiled.py); None: interpreted.
    compiled: CompiledOperations | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.tenant_caller)

    @property
    def caller(self) -> Caller:
        """The tenant user this request acts for; a typed request error for a platform token."""
        if self.tenant_caller is None:
            raise GraphQLError(PLATFORM_REFUSAL, extensions={"code": "TENANT_TOKEN_REQUIRED"})
        return self.tenant_caller


class SocketContext(Context):
    """A graphql-transport-ws connection's context. Browsers cannot set headers on a WebSocket, so
    the caller is known once `connection_init` has brought the token (or the handshake's
    Authorization header, for other clients); the protocol runs nothing before that."""

    def __init__(
        self, request_id: str, handshake_authorization: str | None, cross_origin: str | None
    ) -> None:
        self.request_id = request_id
        self.tenant_caller = None  # known once connection_init has authenticated the socket
        self.handshake_authorization = handshake_authorization
        self.cross_origin = (
            cross_origin  # the browser page's origin, when it is not this service's own
        )
        self.connection_params: dict[
            str, object
        ] = {}  # the connection_init payload, set by strawberry

    def authenticate(self, caller: Caller, limits: Limits, expires_at: datetime | None) -> None:
        self.tenant_caller = caller
        self.limits = limits
        self.caller_expires_at = expires_at
        self.loaders = Loaders(caller)

    @property
    def authorization(self) -> str | None:
        """`{"Authorization": "Bearer <token>"}` in connection_init, else the handshake's header."""
        sent = next(
            (v for k, v in self.connection_params.items() if k.lower() == "authorization"), None
        )
        return sent if isinstance(sent, str) else self.handshake_authorization


Info = StrawberryInfo[Context, None]
