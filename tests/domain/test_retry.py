"""The outbox's retry policy as data: delays, the cap, the attempt limit, and what it refuses."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.domain.retry import RetryPolicy


def test_the_default_policy_doubles_from_a_minute_up_to_an_hour_and_gives_up_after_24():
    policy = RetryPolicy()
    minutes = [policy.delay(n) / timedelta(minutes=1) for n in range(1, 10)]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert not policy.exhausted(23) and policy.exhausted(24)


def test_a_configured_policy_follows_its_own_base_factor_cap_and_limit():
    policy = RetryPolicy(
        base_delay=timedelta(seconds=10), factor=3, cap=timedelta(seconds=100), max_attempts=3
    )
    assert [policy.delay(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 90, 100, 100]
    assert [policy.exhausted(n) for n in (1, 2, 3)] == [False, False, True]
    # far past any limit a deployment might set: still the cap, not an overflow
    assert policy.delay(5000) == timedelta(seconds=100)


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"base_delay": timedelta(0)}, "base delay"),
        ({"factor": 0.5}, "factor"),
        ({"cap": timedelta(seconds=5)}, "cap"),
        ({"max_attempts": 0}, "max attempts"),
    ],
)
def test_a_policy_that_cannot_work_is_refused_when_made(changes, named):
    with pytest.raises(ValueError, match=named):
        RetryPolicy(**changes)
