"""`complaintdesk token` for a user that does not exist says what to do next."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).with_name("complaintdesk"))


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_token_for_a_tenant_without_users_points_to_the_demo(tmp_path):
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "JWT_SECRET")
    }
    env["COMPLAINTDESK_VAR"] = str(tmp_path / "var")
    assert run(env, "migrate").returncode == 0
    imported = run(
        env, "tenant", "import", "policies/profiles/skoda", "--slug", "acme", "--name", "Acme"
    )
    assert imported.returncode == 0, imported.stderr

    refused = run(env, "token", "--tenant", "acme", "--user", "operator")

    assert refused.returncode != 0
    assert "tenant 'acme' has no users yet" in refused.stderr
    assert "complaintdesk demo" in refused.stderr
    assert refused.stdout == ""
