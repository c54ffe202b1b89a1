"""bench/load_faults.py, without starting anything: the plan it prints, and the arithmetic of its
report (what counts as lost or duplicated, the percentiles). The run itself is by hand
(docs/operations.md: it restarts its own PostgreSQL and Redis)."""

from __future__ import annotations

from collections import Counter

from bench import load_faults


def test_the_dry_run_prints_the_plan_and_starts_nothing(capsys):
    assert load_faults.main(["--dry-run", "--clients", "10", "--seconds", "100"]) == 0
    out = capsys.readouterr().out
    assert "10 clients, 100 s, 2 servers, 2 workers" in out
    for line in ("at    20 s: restart PostgreSQL", "at    40 s: kill a worker child"):
        assert line in out
    assert "at    60 s: stop Redis for 30 s" in out and "nothing started" in out


def test_lost_is_acknowledged_but_not_stored_and_duplicated_is_stored_twice():
    stored = Counter({"a": 1, "b": 2, "unacknowledged": 1})
    assert load_faults.tally(["a", "b", "c"], stored) == (1, 1)
    assert load_faults.tally([], Counter()) == (0, 0)


def test_percentiles_of_the_answered_requests():
    values = [float(n) for n in range(1, 101)]
    assert load_faults.percentile(values, 50) == 50.0
    assert load_faults.percentile(values, 99) == 99.0
    assert load_faults.percentile([7.0], 95) == 7.0
