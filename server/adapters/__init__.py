"""Adapters to the outside: the live event bus (Redis or in-process), notification delivery
(log, SMTP, webhook) and the statutory holiday library."""
