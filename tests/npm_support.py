"""frontend-contract/'s npm tools for the tests: installed once per package-lock.json, skipped (with
the reason) where node or npm is missing, except under CI=true, where that fails."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import IN_CI

FRONTEND = Path(__file__).resolve().parents[1] / "frontend-contract"
STAMP = FRONTEND / "node_modules" / ".installed-lock-sha256"


def need_node() -> None:
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if not missing:
        return
    reason = f"{' and '.join(missing)} not found on PATH"
    if IN_CI:
        pytest.fail(f"{reason}; CI=true requires node 20+ and npm")
    pytest.skip(reason)


def run(
    *command: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run a command in frontend-contract/; a failure shows its output."""
    result = subprocess.run(
        command,
        cwd=FRONTEND,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    assert result.returncode == 0, (
        f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    )
    return result


def npm_installed() -> None:
    """node_modules exactly as package-lock.json pins it: `npm ci`, skipped when this lock is
    installed."""
    need_node()
    lock = hashlib.sha256((FRONTEND / "package-lock.json").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == lock:
        return
    run("npm", "ci", "--no-audit", "--no-fund", timeout=600)
    STAMP.write_text(lock)
