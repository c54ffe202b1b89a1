"""Structured logs: one JSON object a line, stamped with the request id, tenant and GraphQL
operation of the request that wrote it, with personal data and secrets redacted from every message
and traceback (DOMAIN.md Part I item 12: phones and addresses are never written to logs).

The HTTP edge and the GraphQL layer set the request's fields (`bind`); every log call under them
carries them without passing them down."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
TENANT: ContextVar[int | None] = ContextVar("tenant", default=None)
OPERATION: ContextVar[str | None] = ContextVar("operation", default=None)

# What may identify a person or open a door, whatever wrote it: a run of 7+ digits (phones, with
# or without +86 and separators), a 17-character VIN, a JWT, a bearer token, a URL's password.
_REDACTIONS = (
    (re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*"), "[token]"),
    (re.compile(r"(?i)(bearer\s+)\S+"), r"\1[token]"),
    (re.compile(r"(://[^:/@\s]+:)[^@\s]+@"), r"\1[secret]@"),
    (re.compile(r"\b[A-HJ-NPR-Z0-9]{17}\b"), "[vin]"),
    # not inside a code such as the order number SKD-2025-000123
    (re.compile(r"(?<![A-Za-z0-9-])\+?\d(?:[\s-]?\d){6,}"), "[number]"),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        text = text.replace(secret, "[secret]")
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def bind(
    *, request_id: str | None = None, tenant: int | None = None, operation: str | None = None
) -> None:
    """Stamps what follows in this task (and the tasks it starts) with the request's fields."""
    if request_id is not None:
        REQUEST_ID.set(request_id)
    if tenant is not None:
        TENANT.set(tenant)
    if operation is not None:
        OPERATION.set(operation)


class JsonFormatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # the longest first, so a secret containing another is replaced whole
        self.secrets = sorted((s for s in secrets if len(s) >= 8), key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage(), self.secrets),
            "request_id": REQUEST_ID.get(),
            "tenant": TENANT.get(),
            "operation": OPERATION.get(),
        }
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info), self.secrets)
        return json.dumps(entry, ensure_ascii=False)


# Loggers that echo SQL statements with their parameters: customers' names and addresses, which no
# pattern can redact. Held at WARNING whatever the level asked for.
PARAMETER_ECHO = ("aiosqlite", "asyncpg", "sqlalchemy.engine", "sqlalchemy.pool")


def configure(
    secrets: Iterable[str] = (), *, stream: IO[str] | None = None, level: int = logging.INFO
) -> logging.Handler:
    """The process's logs as JSON lines on `stream` (stderr): every logger, uvicorn's and
    dramatiq's too. Returns the handler, which the caller may remove again."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "dramatiq"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    for name in PARAMETER_ECHO:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    return handler
