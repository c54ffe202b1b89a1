"""Deployment settings: every environment variable the service reads is read here, by load(), and
what needs a part of them is handed that part. A value that cannot work is refused here, with the
variable named, before anything starts.

The embedded default (no variables set) is an SQLite file and a locally generated signing
secret under ./var (COMPLAINTDESK_VAR), so the service runs on a fresh machine with nothing else
installed.
"""

from __future__ import annotations

import math
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from server.domain.retry import RetryPolicy

QUEUE_NAMESPACE = "complaintdesk"  # the prefix of the broker's Redis keys
SCAN_BATCH = 1000  # the deadline scan's orders per transaction; deadlines.BATCH for other callers

T = TypeVar("T")
N = TypeVar("N", int, float)


class ConfigurationError(RuntimeError):
    """An environment variable's value cannot work; the message names it and what would."""


@dataclass(frozen=True)
class Limits:
    """What one GraphQL request may ask for. Deployment defaults come from the environment
    (GRAPHQL_LIMIT_<NAME>, e.g. GRAPHQL_LIMIT_DEPTH=10); a tenant's are resolved per request by
    schema.limits.limits_for. Frozen and hashable: validation rules are built once per value."""

    depth: int = 12  # nesting of selections, fragments expanded, introspection included
    aliases: int = 30  # aliased fields in one operation
    tokens: int = 5000  # lexical tokens in the document; the parser stops past it
    page_size: int = 100  # the largest `first` (services refuse more than 100 anyway)
    cost: int = (
        20_000  # each field 1; a list or page multiplies what it selects (see schema/limits.py)
    )
    body_bytes: int = 100_000  # HTTP request body
    timeout_seconds: float = 10.0  # parse, validation and execution of one request
    persisted_only: bool = False  # only the operations of frontend-contract/ (by sha256) may run
    # __schema and __type answer (GraphiQL and codegen need them; a locked-down deployment may not)
    introspection: bool = True


@dataclass(frozen=True)
class RateLimits:
    """Abuse limits: the GraphQL cost (schema/limits.py) a token and an IP address may spend per
    window (RATE_LIMIT_TOKEN, RATE_LIMIT_IP, RATE_LIMIT_WINDOW_SECONDS). Generous by default: a
    person at a portal never meets them, a script looping on the API does."""

    per_token: int = 2_000_000  # e.g. 400 fifty-order worklists a minute
    per_ip: int = 10_000_000  # a call centre's people share one address
    window_seconds: int = 60


ADAPTERS = ("log", "smtp", "webhook")


@dataclass(frozen=True)
class NotifyConfig:
    """How notifications leave: NOTIFY_ADAPTER and the variables of that adapter (read by
    load()). Checked when made: a deployment missing a variable fails at start, not at the first
    notification."""

    adapter: str = "log"
    log_path: str | None = None  # NOTIFY_LOG: the log adapter also appends each line to this file
    smtp_url: str | None = None  # SMTP_URL: smtp://user:pass@host:587 (smtps:// for TLS)
    sender: str = "complaintdesk@localhost"  # NOTIFY_FROM
    webhook_url: str | None = None  # WEBHOOK_URL
    webhook_secret: str | None = None  # WEBHOOK_SECRET: the HMAC-SHA256 key of the signature

    def __post_init__(self) -> None:
        if self.adapter not in ADAPTERS:
            raise ConfigurationError(f"NOTIFY_ADAPTER={self.adapter!r}: use log, smtp or webhook")
        if self.adapter == "smtp" and not self.smtp_url:
            raise ConfigurationError("NOTIFY_ADAPTER=smtp needs SMTP_URL (smtp://user:pw@host:587)")
        if self.adapter == "webhook" and not (self.webhook_url and self.webhook_secret):
            raise ConfigurationError("NOTIFY_ADAPTER=webhook needs WEBHOOK_URL and WEBHOOK_SECRET")


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    jwt_algorithm: str
    jwt_signing_key: str | None
    jwt_verify_key: str
    token_lifetime_hours: int
    limits: Limits = field(default_factory=Limits)
    cors_origins: tuple[
        str, ...
    ] = ()  # portal origins browsers may call from (scheme://host[:port])
    outbox_retention_days: int = 30  # delivered notifications are kept this long, then purged daily
    outbox_retry: RetryPolicy = field(default_factory=RetryPolicy)  # failed deliveries, then dead
    notify: NotifyConfig = field(default_factory=NotifyConfig)  # how notifications leave
    queue_namespace: str = QUEUE_NAMESPACE  # two deployments may share one Redis
    # EVENTS_NAMESPACE: the prefix of the live events' Redis channels. Pub/sub ignores Redis's
    # database numbers, so deployments sharing a Redis server keep apart by this alone; by default
    # the queue namespace, so one variable separates both.
    events_namespace: str = QUEUE_NAMESPACE
    scan_batch: int = SCAN_BATCH  # orders per transaction of the deadline scan
    rate_limits: RateLimits = field(default_factory=RateLimits)
    # MIGRATION_DATABASE_URL: the owner of the schema, which migrations run as; the application
    # itself logs in as a role that owns nothing (docs/database-roles.md)
    migration_database_url: str | None = None

    @property
    def migration_url(self) -> str:
        return self.migration_database_url or self.database_url

    @property
    def secrets(self) -> tuple[str, ...]:
        """The deployment's secret values, which every process's logs redact wherever they appear
        (server/adapters/telemetry.py)."""
        given = (self.jwt_signing_key, self.notify.webhook_secret, self.notify.smtp_url)
        return tuple(s for s in given if s)


def _local_secret(var: Path) -> str:
    """A per-installation HS256 secret, created on first use and kept in ./var."""
    path = var / "jwt-secret"
    if not path.exists():
        var.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _key(value: str | None) -> str | None:
    """A key given inline or as @/path/to/file.pem."""
    if value and value.startswith("@"):
        return Path(value[1:]).read_text()
    return value


def _rate_limits(env: Mapping[str, str], limits: Limits) -> RateLimits:
    given = RateLimits(
        per_token=_number(env, "RATE_LIMIT_TOKEN", RateLimits.per_token, int),
        per_ip=_number(env, "RATE_LIMIT_IP", RateLimits.per_ip, int),
        window_seconds=_number(env, "RATE_LIMIT_WINDOW_SECONDS", RateLimits.window_seconds, int),
    )
    if min(given.per_token, given.per_ip) < limits.cost:
        raise ConfigurationError(
            f"RATE_LIMIT_TOKEN and RATE_LIMIT_IP must allow one request of the largest cost"
            f" (GRAPHQL_LIMIT_COST={limits.cost})"
        )
    return given


def load(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    var = Path(env.get("COMPLAINTDESK_VAR", "var"))
    algorithm = env.get("JWT_ALGORITHM", "HS256")
    verify = _key(env.get("JWT_PUBLIC_KEY") or env.get("JWT_SECRET"))
    signing = _key(env.get("JWT_PRIVATE_KEY") or env.get("JWT_SECRET"))
    if verify is None:
        if not algorithm.startswith("HS"):
            raise ConfigurationError(
                f"JWT_ALGORITHM={algorithm} needs JWT_PUBLIC_KEY (inline PEM or @path)"
            )
        verify = signing = _local_secret(var)
    return Settings(
        database_url=env.get("DATABASE_URL", f"sqlite+aiosqlite:///{var / 'complaintdesk.db'}"),
        redis_url=env.get("REDIS_URL") or None,
        jwt_algorithm=algorithm,
        jwt_signing_key=signing,
        jwt_verify_key=verify,
        token_lifetime_hours=_number(env, "TOKEN_LIFETIME_HOURS", 720, int),
        limits=_limits(env),
        cors_origins=tuple(
            o.strip().rstrip("/") for o in env.get("CORS_ORIGINS", "").split(",") if o.strip()
        ),
        outbox_retention_days=_number(env, "OUTBOX_RETENTION_DAYS", 30, int),
        outbox_retry=_outbox_retry(env),
        notify=_notify(env),
        queue_namespace=env.get("COMPLAINTDESK_QUEUE_NAMESPACE") or QUEUE_NAMESPACE,
        events_namespace=(
            env.get("EVENTS_NAMESPACE")
            or env.get("COMPLAINTDESK_QUEUE_NAMESPACE")
            or QUEUE_NAMESPACE
        ),
        scan_batch=_number(env, "COMPLAINTDESK_SCAN_BATCH", SCAN_BATCH, int),
        rate_limits=_rate_limits(env, _limits(env)),
        migration_database_url=env.get("MIGRATION_DATABASE_URL") or None,
    )


def _notify(env: Mapping[str, str]) -> NotifyConfig:
    return NotifyConfig(
        adapter=env.get("NOTIFY_ADAPTER") or NotifyConfig.adapter,
        log_path=env.get("NOTIFY_LOG") or None,
        smtp_url=env.get("SMTP_URL") or None,
        sender=env.get("NOTIFY_FROM") or NotifyConfig.sender,
        webhook_url=env.get("WEBHOOK_URL") or None,
        webhook_secret=env.get("WEBHOOK_SECRET") or None,
    )


def _outbox_retry(env: Mapping[str, str]) -> RetryPolicy:
    """RetryPolicy() with each OUTBOX_RETRY_* variable that is set applied."""
    default = RetryPolicy()
    base = _number(env, "OUTBOX_RETRY_BASE_SECONDS", default.base_delay.total_seconds(), float)
    factor = _number(env, "OUTBOX_RETRY_FACTOR", default.factor, float)
    cap = _number(env, "OUTBOX_RETRY_CAP_SECONDS", default.cap.total_seconds(), float)
    attempts = _number(env, "OUTBOX_RETRY_MAX_ATTEMPTS", default.max_attempts, int)
    return _made(
        "OUTBOX_RETRY_*",
        lambda: RetryPolicy(timedelta(seconds=base), factor, timedelta(seconds=cap), attempts),
    )


def _made(variables: str, make: Callable[[], T]) -> T:
    """make(), with its refusal of the values turned into a ConfigurationError naming them."""
    try:
        return make()
    except ValueError as exc:
        raise ConfigurationError(f"{variables}: {exc}") from exc


def _number(env: Mapping[str, str], name: str, default: N, parse: Callable[[str], N]) -> N:
    """The variable's number above 0, or the default when it is unset or empty."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    refusal = f"{name}={raw!r}: expected a {'whole ' if parse is int else ''}number above 0"
    try:
        value = parse(raw)
    except ValueError:
        raise ConfigurationError(refusal) from None
    if not 0 < value < math.inf:
        raise ConfigurationError(refusal)
    return value


_PARSE: dict[str, Callable[[str], int | float | bool]] = {
    "int": int,
    "float": float,
    "bool": lambda raw: raw.strip().lower() in ("1", "true", "yes", "on"),
}


def _limits(env: Mapping[str, str]) -> Limits:
    """Limits() with each GRAPHQL_LIMIT_<FIELD> variable that is set applied, e.g.
    GRAPHQL_LIMIT_DEPTH=10."""
    given: dict[str, Any] = {}  # each value parsed by its field's own type
    for f in fields(Limits):
        key = f"GRAPHQL_LIMIT_{f.name.upper()}"
        if key in env:
            try:
                given[f.name] = _PARSE[str(f.type)](env[key])
            except ValueError:
                raise ConfigurationError(f"{key}={env[key]!r}: expected a {f.type}") from None
    return Limits(**given)
