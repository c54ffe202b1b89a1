"""Delivery adapters for outbox messages: a log line (embedded), SMTP e-mail, or a signed webhook.

Messages carry no phone numbers or addresses (docs/rules.md#privacy): only order numbers and
deadlines.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

import httpx

from server.settings import NotifyConfig

log = logging.getLogger("complaintdesk.notify")


@dataclass(frozen=True)
class Notification:
    key: str  # stable per message: a receiver can drop a repeat
    topic: str
    subject: str
    body: dict[str, Any]
    recipient: str | None  # username
    email: str | None


class Sender(Protocol):
    async def send(self, note: Notification) -> None: ...


class LogSender:
    """Embedded default: one JSON line per message on the log, and in NOTIFY_LOG when it is set."""

    def __init__(self, path: str | None = None):
        self.path = Path(path) if path else None

    async def send(self, note: Notification) -> None:
        line = json.dumps(
            {"key": note.key, "topic": note.topic, "to": note.recipient, "subject": note.subject},
            ensure_ascii=False,
        )
        log.info("notification %s", line)
        if self.path:
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line + "\n")


class SmtpSender:
    def __init__(self, url: str, sender: str):
        self.url = urlparse(url)
        self.sender = sender

    async def send(self, note: Notification) -> None:
        if not note.email:
            log.warning(
                "notification %s: %s has no e-mail address; not sent", note.key, note.recipient
            )
            return
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, note.email, note.subject
        message["Message-ID"] = f"<{hashlib.sha256(note.key.encode()).hexdigest()}@complaintdesk>"
        message.set_content(json.dumps(note.body, ensure_ascii=False, indent=2))
        await asyncio.to_thread(self._deliver, message)

    def _deliver(self, message: EmailMessage) -> None:
        smtp_class = smtplib.SMTP_SSL if self.url.scheme == "smtps" else smtplib.SMTP
        with smtp_class(self.url.hostname or "localhost", self.url.port or 25, timeout=30) as smtp:
            if self.url.username:
                smtp.login(self.url.username, self.url.password or "")
            smtp.send_message(message)


class WebhookSender:
    """POSTs JSON signed with HMAC-SHA256 (X-Complaintdesk-Signature), with the key as
    Idempotency-Key."""

    def __init__(self, url: str, secret: str):
        self.url = url
        self.secret = secret.encode()

    async def send(self, note: Notification) -> None:
        payload = json.dumps(
            {
                "key": note.key,
                "topic": note.topic,
                "subject": note.subject,
                "to": note.recipient,
                "body": note.body,
            },
            ensure_ascii=False,
        ).encode()
        signature = hmac.new(self.secret, payload, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "X-Complaintdesk-Signature": f"sha256={signature}",
            "Idempotency-Key": note.key,
        }
        async with httpx.AsyncClient(timeout=15) as client:
            (await client.post(self.url, content=payload, headers=headers)).raise_for_status()


def sender_for(config: NotifyConfig) -> Sender:
    if config.adapter == "smtp":
        assert config.smtp_url  # NotifyConfig refuses smtp without it
        return SmtpSender(config.smtp_url, config.sender)
    if config.adapter == "webhook":
        assert config.webhook_url and config.webhook_secret  # likewise
        return WebhookSender(config.webhook_url, config.webhook_secret)
    return LogSender(config.log_path)
