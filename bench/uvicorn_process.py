"""One uvicorn process (1 worker, uvloop + httptools) per variant, stopped by its own pid."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
UVICORN = Path(sys.executable).with_name("uvicorn")
_READY_SECONDS = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def command(factory: str, port: int) -> list[str]:
    return [
        str(UVICORN),
        "--factory",
        factory,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]


@asynccontextmanager
async def serving(factory: str, env: Mapping[str, str]) -> AsyncIterator[str]:
    """Yields the base URL once /healthz answers."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(*command(factory, port), cwd=REPO, env=dict(env))
    base = f"http://127.0.0.1:{port}"
    try:
        await _ready(base, process)
        yield base
    finally:
        await stop(process)


async def _ready(base: str, process: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(int(_READY_SECONDS / 0.1)):
            if process.returncode is not None:
                raise RuntimeError(f"uvicorn exited with {process.returncode}")
            try:
                if (await client.get(f"{base}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{base} did not answer /healthz within {_READY_SECONDS}s")


async def stop(process: asyncio.subprocess.Process) -> None:
    """Terminates a server process, killing it if it has not gone within 10 s."""
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), 10)
    except TimeoutError:
        process.kill()
        await process.wait()
