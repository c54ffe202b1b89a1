"""The reference portal for the tests: built with `make portal` (skipped, with the reason, where
Node 20+ or Chromium is missing, except under CI=true, where that fails), served by
`complaintdesk run` on a free port with the demo tenant, and driven by Playwright through the
distribution's Chromium (never a downloaded browser)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import IN_CI
from npm_support import need_node

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "portal" / "dist"
MANIFEST = ROOT / "frontend-contract" / "persisted-operations.json"
AXE = ROOT / "portal" / "node_modules" / "axe-core" / "axe.min.js"
# Screenshots for a reviewer; git-ignored.
SHOTS = ROOT / "test-artifacts" / "portal"
CHROMIUM_NAMES = ("chromium", "chromium-browser")


def unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}; CI=true requires it (.ci/run installs Debian's chromium)")
    pytest.skip(reason)


def chromium() -> str:
    for name in CHROMIUM_NAMES:
        if found := shutil.which(name):
            return found
    unavailable("Chromium is not installed (apt-get install -y chromium)")
    raise AssertionError  # unreachable: unavailable() raises


def build_portal() -> None:
    need_node()
    result = subprocess.run(
        ["make", "portal"], cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, f"make portal failed:\n{result.stdout}\n{result.stderr}"


def persisted_ids() -> dict[str, str]:
    """Every persisted operation of the contract: sha256 id -> name."""
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return {op["id"]: op["name"] for op in manifest["operations"]}


def bundle_gzip_bytes() -> int:
    """What a browser downloads for the portal, gzipped file by file."""
    return sum(
        len(gzip.compress(path.read_bytes(), compresslevel=9))
        for path in DIST.rglob("*")
        if path.is_file()
    )


def serve(env: dict[str, str], port: int, log: Path) -> Iterator[str]:
    """`complaintdesk run` (migrate, demo, serve) until the generator is closed; yields its URL.
    The output goes to `log`, so a busy server never blocks on a full pipe."""
    cli = Path(sys.executable).with_name("complaintdesk")
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(cli), "run", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        else:
            raise AssertionError(f"the server did not start:\n{log.read_text()}")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def server_env(tmp: Path, database_url: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "JWT_SECRET")
    }
    env["COMPLAINTDESK_VAR"] = str(tmp / "var")
    env["DATABASE_URL"] = database_url
    # Nothing but the contract's persisted operations may run: the portal must need no other.
    env["GRAPHQL_LIMIT_PERSISTED_ONLY"] = "true"
    return env
