"""Bearer tokens. The tenant a request acts in comes from the verified token and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import jwt

from server.domain import bounds
from server.settings import Settings

ISSUER = "complaintdesk"


class InvalidTokenError(Exception):
    """Missing, malformed, forged or expired: the request gets 401 and no data."""


@dataclass(frozen=True)
class Claims:
    subject: str  # user id inside a tenant, or the platform admin's name
    tenant_id: int | None
    platform: bool
    # When a verified token stops being valid; a live subscription ends then (minting ignores it).
    expires_at: datetime | None = field(default=None, compare=False)


def mint(settings: Settings, claims: Claims, lifetime: timedelta | None = None) -> str:
    if settings.jwt_signing_key is None:
        raise RuntimeError(
            "this deployment only verifies tokens; mint them where the private key is"
        )
    now = datetime.now(UTC)
    payload = {
        "iss": ISSUER,
        "sub": claims.subject,
        "iat": now,
        "exp": now + (lifetime or timedelta(hours=settings.token_lifetime_hours)),
    }
    if claims.tenant_id is not None:
        payload["tid"] = claims.tenant_id
    if claims.platform:
        payload["platform"] = True
    return jwt.encode(payload, settings.jwt_signing_key, algorithm=settings.jwt_algorithm)


def verify(settings: Settings, token: str) -> Claims:
    try:
        payload = jwt.decode(
            token,
            settings.jwt_verify_key,
            algorithms=[settings.jwt_algorithm],
            issuer=ISSUER,
            options={"require": ["exp", "sub", "iss"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidTokenError(str(exc)) from exc
    tenant_id = payload.get("tid")
    platform = payload.get("platform") is True
    if (tenant_id is None) == (not platform) or not (tenant_id is None or _tenant_key(tenant_id)):
        raise InvalidTokenError("a token names exactly one tenant, or the platform")
    expires_at = datetime.fromtimestamp(payload["exp"], UTC)
    return Claims(
        subject=str(payload["sub"]), tenant_id=tenant_id, platform=platform, expires_at=expires_at
    )


def _tenant_key(value: object) -> bool:
    """An integer in the tenant key's range; `type(...) is int` because True is an int too."""
    return type(value) is int and 0 < value <= bounds.INTEGER_MAX


def bearer(header: str | None) -> str:
    if not header or not header.lower().startswith("bearer "):
        raise InvalidTokenError("the request carries no bearer token")
    return header[7:].strip()
