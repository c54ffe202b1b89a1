"""Every environment variable is read by server.settings.load(), and a value that cannot work is
refused there, naming the variable, before anything starts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.adapters.notifications import LogSender, SmtpSender, WebhookSender, sender_for
from server.domain.retry import RetryPolicy
from server.services import deadlines
from server.settings import ConfigurationError, NotifyConfig, Settings, load
from workers.broker import _broker

BASE = {"JWT_SECRET": "test-secret-with-at-least-32-bytes-of-entropy"}


def test_unset_variables_give_the_named_defaults():
    settings = load(BASE)
    assert settings.outbox_retry == RetryPolicy()
    assert settings.notify == NotifyConfig()
    assert settings.queue_namespace == "complaintdesk"
    assert settings.scan_batch == deadlines.BATCH  # the actor's batch is the scan's own default
    assert isinstance(sender_for(settings.notify), LogSender)


def test_migrations_run_as_the_owner_when_one_is_named_and_as_the_application_otherwise():
    app = "postgresql+asyncpg://complaintdesk_app@db/complaintdesk"
    owner = "postgresql+asyncpg://owner@db/complaintdesk"
    assert load(BASE | {"DATABASE_URL": app}).migration_url == app
    named = load(BASE | {"DATABASE_URL": app, "MIGRATION_DATABASE_URL": owner})
    assert (named.database_url, named.migration_url) == (app, owner)


def test_the_outbox_retry_policy_and_the_workers_variables_come_from_the_environment():
    settings = load(
        BASE
        | {
            "OUTBOX_RETRY_BASE_SECONDS": "5",
            "OUTBOX_RETRY_FACTOR": "1.5",
            "OUTBOX_RETRY_CAP_SECONDS": "600",
            "OUTBOX_RETRY_MAX_ATTEMPTS": "7",
            "COMPLAINTDESK_QUEUE_NAMESPACE": "cd-staging",
            "COMPLAINTDESK_SCAN_BATCH": "250",
            "REDIS_URL": "redis://127.0.0.1:6379/3",
        }
    )
    assert settings.outbox_retry == RetryPolicy(timedelta(seconds=5), 1.5, timedelta(minutes=10), 7)
    assert settings.scan_batch == 250
    assert (
        _broker(settings).namespace == "cd-staging"
    )  # no connection is made until a message moves


def test_the_notification_adapter_is_chosen_by_the_settings():
    smtp = load(
        BASE
        | {"NOTIFY_ADAPTER": "smtp", "SMTP_URL": "smtp://u:p@mail:587", "NOTIFY_FROM": "cd@x.cn"}
    )
    sender = sender_for(smtp.notify)
    assert (
        isinstance(sender, SmtpSender)
        and sender.sender == "cd@x.cn"
        and sender.url.hostname == "mail"
    )
    hook = load(
        BASE
        | {"NOTIFY_ADAPTER": "webhook", "WEBHOOK_URL": "https://h.example/n", "WEBHOOK_SECRET": "s"}
    )
    assert isinstance(sender_for(hook.notify), WebhookSender)
    log = sender_for(load(BASE | {"NOTIFY_LOG": "/tmp/n.jsonl"}).notify)
    assert isinstance(log, LogSender) and str(log.path) == "/tmp/n.jsonl"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"OUTBOX_RETRY_MAX_ATTEMPTS": "0"}, "OUTBOX_RETRY_MAX_ATTEMPTS='0'"),
        ({"OUTBOX_RETRY_MAX_ATTEMPTS": "many"}, "OUTBOX_RETRY_MAX_ATTEMPTS='many'"),
        ({"OUTBOX_RETRY_FACTOR": "0.5"}, "OUTBOX_RETRY_*: factor"),
        ({"OUTBOX_RETRY_CAP_SECONDS": "10"}, "OUTBOX_RETRY_*: cap"),
        ({"OUTBOX_RETRY_BASE_SECONDS": "inf"}, "OUTBOX_RETRY_BASE_SECONDS='inf'"),
        ({"OUTBOX_RETENTION_DAYS": "-1"}, "OUTBOX_RETENTION_DAYS='-1'"),
        ({"COMPLAINTDESK_SCAN_BATCH": "1e3"}, "COMPLAINTDESK_SCAN_BATCH='1e3'"),
        ({"TOKEN_LIFETIME_HOURS": "week"}, "TOKEN_LIFETIME_HOURS='week'"),
        ({"GRAPHQL_LIMIT_DEPTH": "deep"}, "GRAPHQL_LIMIT_DEPTH='deep'"),
        ({"NOTIFY_ADAPTER": "pigeon"}, "NOTIFY_ADAPTER='pigeon'"),
        ({"NOTIFY_ADAPTER": "smtp"}, "needs SMTP_URL"),
        (
            {"NOTIFY_ADAPTER": "webhook", "WEBHOOK_URL": "https://h.example/n"},
            "needs WEBHOOK_URL and WEBHOOK_SECRET",
        ),
        ({"JWT_ALGORITHM": "RS256", "JWT_SECRET": ""}, "needs JWT_PUBLIC_KEY"),
    ],
)
def test_a_value_that_cannot_work_is_refused_at_load_naming_the_variable(env, named):
    with pytest.raises(ConfigurationError) as refused:
        load({name: value for name, value in (BASE | env).items() if value})  # "": unset
    assert named in str(refused.value)


def test_settings_made_in_code_are_checked_too():
    with pytest.raises(ConfigurationError, match="needs SMTP_URL"):
        Settings(
            "sqlite+aiosqlite://", None, "HS256", "k", "k", 1, notify=NotifyConfig(adapter="smtp")
        )
