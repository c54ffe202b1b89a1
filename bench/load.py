"""Load generators: wrk with a Lua script (preferred), or a closed-loop httpx client when wrk is
missing.

wrk's --latency table stops at 50/75/90/99 %, so the script's done() prints p50, p95 and p99 from
wrk's own latency histogram. The script is passed by absolute path: wrk silently sends GETs when it
cannot find it (docs/architecture.md#wrk).
"""

from __future__ import annotations

import asyncio
import itertools
import re
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import bodies

WRK = shutil.which("wrk")
# wrk's default 2 s timeout drops slow answers from the latency figures and reconnects, leaving the
# server working on requests nobody waits for: that made one run look like a collapse. Wait instead.
TIMEOUT = "30s"


@dataclass(frozen=True)
class Load:
    url: str
    token: str
    body: str = ""  # the same body every time (the list)
    parts: tuple[str, str, str] | None = None  # or a body per request around a (phone, VIN) key
    keys: list[tuple[str, str]] = field(default_factory=list)
    method: str = "POST"  # GET with an empty body: the peer's REST list (bench/peer/)
    scheme: str = "Bearer"  # the Authorization header's scheme (DRF's TokenAuthentication: Token)

    def bodies(self) -> Iterator[str]:
        if self.parts is None:
            return itertools.repeat(self.body)
        return (bodies.fill(self.parts, key) for key in itertools.cycle(self.keys))


@dataclass(frozen=True)
class Result:
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    requests: int
    failures: int  # connection errors, timeouts and non-2xx answers


def median(runs: list[Result]) -> Result:
    """One variant's rounds as one result: medians of the rates and latencies, totals of the
    counts."""
    return Result(
        rps=statistics.median(r.rps for r in runs),
        p50_ms=statistics.median(r.p50_ms for r in runs),
        p95_ms=statistics.median(r.p95_ms for r in runs),
        p99_ms=statistics.median(r.p99_ms for r in runs),
        requests=sum(r.requests for r in runs),
        failures=sum(r.failures for r in runs),
    )


async def run(load: Load, connections: int, seconds: float) -> Result:
    if WRK:
        return await _wrk(load, connections, seconds)
    return await _closed_loop(load, connections, seconds)


_LIST_LUA = "wrk.body = [==[{body}]==]\n"
_JSON_LUA = 'wrk.headers["Content-Type"] = "application/json"\n'
_REGISTER_LUA = """local parts = {{ [==[{0}]==], [==[{1}]==], [==[{2}]==] }}
local keys, n = {{}}, 0
function init(args)
  for line in io.lines([==[{keys}]==]) do keys[#keys + 1] = line end
end
function request()
  n = n + 1
  local phone, vin = keys[(n - 1) % #keys + 1]:match("(%S+) (%S+)")
  return wrk.format(nil, nil, nil, parts[1] .. phone .. parts[2] .. vin .. parts[3])
end
"""
_COMMON_LUA = """wrk.method = "{method}"
wrk.headers["Authorization"] = "{scheme} {token}"
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH requests=%d p50=%d p95=%d p99=%d failures=%d\\n",
    summary.requests, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def _script(load: Load, folder: Path) -> Path:
    lua = _COMMON_LUA.format(method=load.method, scheme=load.scheme, token=load.token)
    if load.parts is not None:
        keys = folder / "keys.txt"
        keys.write_text("".join(f"{phone} {vin}\n" for phone, vin in load.keys))
        lua += _JSON_LUA + _REGISTER_LUA.format(*load.parts, keys=keys.resolve())
    elif load.body:
        lua += _JSON_LUA + _LIST_LUA.format(body=load.body)
    script = (folder / "load.lua").resolve()
    script.write_text(lua, encoding="utf-8")
    return script


async def _wrk(load: Load, connections: int, seconds: float) -> Result:
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as folder:
        script = _script(load, Path(folder))
        argv = [
            WRK,
            "-t1",
            f"-c{connections}",
            f"-d{seconds:g}s",
            "--timeout",
            TIMEOUT,
            "--latency",
            "-s",
            str(script),
            load.url,
        ]
        process = await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        output = (await process.communicate())[0].decode()
    return _parse(output)


def _parse(output: str) -> Result:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    stats = re.search(r"BENCH requests=(\d+) p50=(\d+) p95=(\d+) p99=(\d+) failures=(\d+)", output)
    if not rps or not stats:
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    requests, p50, p95, p99, failures = (int(v) for v in stats.groups())
    return Result(
        rps=float(rps.group(1)),
        p50_ms=p50 / 1000,
        p95_ms=p95 / 1000,
        p99_ms=p99 / 1000,
        requests=requests,
        failures=failures,
    )


async def _closed_loop(load: Load, connections: int, seconds: float) -> Result:
    """Each of `connections` tasks sends its next request as soon as the last one is answered."""
    latencies: list[float] = []
    failures = 0
    source = load.bodies()
    headers = {"Authorization": f"{load.scheme} {load.token}"}
    if load.body or load.parts is not None:
        headers["Content-Type"] = "application/json"
    deadline = time.perf_counter() + seconds
    async with httpx.AsyncClient(
        limits=httpx.Limits(max_connections=connections), timeout=30
    ) as client:

        async def worker() -> None:
            nonlocal failures
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await client.request(
                    load.method, load.url, content=next(source) or None, headers=headers
                )
                latencies.append(time.perf_counter() - started)
                failures += response.status_code >= 300

        await asyncio.gather(*(worker() for _ in range(connections)))
    cuts = statistics.quantiles(latencies, n=100)
    return Result(
        rps=len(latencies) / seconds,
        p50_ms=cuts[49] * 1000,
        p95_ms=cuts[94] * 1000,
        p99_ms=cuts[98] * 1000,
        requests=len(latencies),
        failures=failures,
    )
