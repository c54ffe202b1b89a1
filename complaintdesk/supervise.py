"""The supervisor `complaintdesk worker` and `complaintdesk scheduler` run under: the work runs in a
child process, started again whenever it ends without being asked to, so a worker process killed by
the kernel (or by a person) costs a pause, not a night without deadlines and notifications.

Dramatiq's own main process stops its whole pool when one of its worker processes dies; the pool,
being our child, is then started again here. Every job is idempotent and the broker hands a message
held by a dead worker to another (workers/broker.py), so a restart repeats at most the messages
that were in flight. What restarts the supervisor itself is the host's (systemd, the container
runtime): docs/operations.md.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType


@dataclass(frozen=True)
class Backoff:
    """How long to wait before a restart: `first`, doubled after each child that died young (ran
    less than `steady`), at most `longest`, so a child that cannot start does not spin."""

    first: float = 1.0
    longest: float = 30.0
    steady: float = 60.0


def supervise(command: Sequence[str], name: str, backoff: Backoff = Backoff()) -> int:
    """Runs `command` until SIGTERM or SIGINT, passing the signal on; returns the last child's
    exit status."""
    return _Supervisor(list(command), name, backoff).run()


class _Supervisor:
    def __init__(self, command: list[str], name: str, backoff: Backoff):
        self.command, self.name, self.backoff = command, name, backoff
        self.child: subprocess.Popen[bytes] | None = None
        self.stopping = False

    def stop(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping = True
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signum)

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        pause = self.backoff.first
        while True:
            started = time.monotonic()
            self.child = subprocess.Popen(self.command)
            code = self.child.wait()
            if self.stopping:
                return code
            ran = time.monotonic() - started
            young = ran < self.backoff.steady
            pause = min(pause * 2, self.backoff.longest) if young else self.backoff.first
            print(
                f"{self.name}: the child process ended with status {code} after {ran:.0f} s; "
                f"starting it again in {pause:.0f} s",
                file=sys.stderr,
                flush=True,
            )
            deadline = time.monotonic() + pause
            while time.monotonic() < deadline and not self.stopping:
                time.sleep(0.1)
            if self.stopping:
                return code
