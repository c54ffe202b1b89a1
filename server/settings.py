"""Deployment settings, read once from the environment.

The embedded default (no variables set) is an SQLite file and a locally generated signing
secret under ./var, so the service runs on a fresh machine with nothing else installed.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

VAR = Path(os.environ.get("COMPLAINTDESK_VAR", "var"))


@dataclass(frozen=True)
class Limits:
    """What one GraphQL request may ask for. Deployment defaults come from the environment
    (GRAPHQL_LIMIT_<NAME>, e.g. GRAPHQL_LIMIT_DEPTH=10); a tenant's are resolved per request by
    schema.limits.limits_for. Frozen and hashable: validation rules are built once per value."""

    depth: int = 12  # nesting of selections, fragments expanded, introspection included
    aliases: int = 30  # aliased fields in one operation
    tokens: int = 5000  # lexical tokens in the document; the parser stops past it
    page_size: int = 100  # the largest `first` (services refuse more than 100 anyway)
    cost: int = 20_000  # each field 1; a list or page multiplies what it selects (see schema/limits.py)
    body_bytes: int = 100_000  # HTTP request body
    timeout_seconds: float = 10.0  # parse, validation and execution of one request
    persisted_only: bool = False  # only the operations of frontend-contract/ (by sha256) may run
    introspection: bool = True  # __schema and __type answer (GraphiQL and codegen need them; a locked-down deployment may not)


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    jwt_algorithm: str
    jwt_signing_key: str | None
    jwt_verify_key: str
    token_lifetime_hours: int
    limits: Limits = field(default_factory=Limits)
    cors_origins: tuple[str, ...] = ()  # portal origins browsers may call from (scheme://host[:port])
    outbox_retention_days: int = 30  # delivered notifications are kept this long, then purged daily

    @property
    def embedded(self) -> bool:
        return self.database_url.startswith("sqlite")


def _local_secret() -> str:
    """A per-installation HS256 secret, created on first use and kept in ./var."""
    path = VAR / "jwt-secret"
    if not path.exists():
        VAR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _key(value: str | None) -> str | None:
    """A key given inline or as @/path/to/file.pem."""
    if value and value.startswith("@"):
        return Path(value[1:]).read_text()
    return value


def load() -> Settings:
    env = os.environ
    algorithm = env.get("JWT_ALGORITHM", "HS256")
    verify = _key(env.get("JWT_PUBLIC_KEY") or env.get("JWT_SECRET"))
    signing = _key(env.get("JWT_PRIVATE_KEY") or env.get("JWT_SECRET"))
    if verify is None:
        if not algorithm.startswith("HS"):
            raise RuntimeError(f"JWT_ALGORITHM={algorithm} needs JWT_PUBLIC_KEY (inline PEM or @path)")
        verify = signing = _local_secret()
    return Settings(
        database_url=env.get("DATABASE_URL", f"sqlite+aiosqlite:///{VAR / 'complaintdesk.db'}"),
        redis_url=env.get("REDIS_URL") or None,
        jwt_algorithm=algorithm,
        jwt_signing_key=signing,
        jwt_verify_key=verify,
        token_lifetime_hours=int(env.get("TOKEN_LIFETIME_HOURS", "720")),
        limits=_limits(env),
        cors_origins=tuple(o.strip().rstrip("/") for o in env.get("CORS_ORIGINS", "").split(",") if o.strip()),
        outbox_retention_days=int(env.get("OUTBOX_RETENTION_DAYS", "30")),
    )


_PARSE = {"int": int, "float": float, "bool": lambda raw: raw.strip().lower() in ("1", "true", "yes", "on")}


def _limits(env: Mapping[str, str]) -> Limits:
    """Limits() with each GRAPHQL_LIMIT_<FIELD> variable that is set applied, e.g. GRAPHQL_LIMIT_DEPTH=10."""
    given = {}
    for f in fields(Limits):
        key = f"GRAPHQL_LIMIT_{f.name.upper()}"
        if key in env:
            given[f.name] = _PARSE[str(f.type)](env[key])
    return Limits(**given)
