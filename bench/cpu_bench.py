"""CPU per list request, in process: the real app and the two list floors, side by side.

The HTTP benchmark (`http_bench.py`) measures requests per second, which is what the goals are
written in, but on a two-core machine any other process moves its figures by tens of per cent. This
one serves the same Worklist request to each app through its ASGI interface (httpx's
`ASGITransport`, lifespan started, so the collector is settled as in a server) and takes the CPU
time of this process per request, rounds alternating between the apps. One server process is
CPU-bound under load, so the ratio of CPU per request approximates the ratio of requests per second
without the noise of time spent waiting for a core. The function calls per request, counted by
cProfile in one extra pass, do not depend on the machine at all: they show whether a change added
work. PostgreSQL's time is not counted (another process), as in the HTTP benchmark's server.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import import_module
from typing import Any

import httpx

from bench import bodies
from bench.apps import FLOOR_SQL, FLOOR_STATIC, PRODUCT

GOAL_STATIC = 0.50  # list / static-GraphQL floor, as in http_bench


@dataclass(frozen=True)
class App:
    key: str
    factory: str
    path: str


APPS = (
    App("list", PRODUCT, "/graphql"),
    App("list-floor-sql", FLOOR_SQL, "/worklist"),
    App("list-floor-static", FLOOR_STATIC, "/graphql"),
)


@asynccontextmanager
async def started(factory: str) -> AsyncIterator[Any]:
    """The app with its lifespan started, as uvicorn would."""
    module, name = factory.split(":")
    app = getattr(import_module(module), name)()
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(app(scope, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    started_message = await outbox.get()
    if started_message["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"{factory} did not start: {started_message}")
    try:
        yield app
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await task


async def _requests(post: Callable[[], Any], count: int) -> list[float]:
    """CPU milliseconds of each of `count` requests."""
    samples = []
    for _ in range(count):
        start = time.process_time()
        response = await post()
        samples.append((time.process_time() - start) * 1000)
        response.raise_for_status()
    return samples


async def _calls(post: Callable[[], Any], count: int) -> float:
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(count):
        await post()
    profile.disable()
    return float(pstats.Stats(profile).total_calls) / count


async def child(args: argparse.Namespace) -> int:
    """One app in this process: warm up, then print the CPU of each request and the calls."""
    app = next(a for a in APPS if a.key == args.child)
    body = bodies.worklist(50)
    token = os.environ["CPU_BENCH_TOKEN"]
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    async with started(app.factory) as served:
        transport = httpx.ASGITransport(app=served)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            post = _post(client, app.path, body, headers)
            await _requests(post, args.warmup)
            samples = await _requests(post, args.requests)
            calls = await _calls(post, 10) if args.count_calls else 0.0
    print(json.dumps({"samples": samples, "calls": calls}))
    return 0


def _measure(args: argparse.Namespace, app: App, *, count_calls: bool) -> dict[str, Any]:
    # Each app in its own process, as under uvicorn: the product's start-up settles the collector
    # and binds every ORM session to a tenant, which would change the floors in a shared process.
    command = [sys.executable, "-m", "bench.cpu_bench", "--child", app.key]
    command += ["--requests", str(args.requests), "--warmup", str(args.warmup)]
    command += ["--count-calls"] if count_calls else []
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


async def _token(args: argparse.Namespace) -> str:
    """The SE's token (the whole brand: the biggest list), minted here; the children's apps verify
    it with the same JWT_SECRET, which `setup` puts in the environment they inherit."""
    # The product's modules, imported in this process only.
    from bench.database import DEFAULT_URL
    from bench.http_bench import setup

    args.database_url = args.database_url or DEFAULT_URL
    bench = await setup(args)
    await bench.database.dispose()
    return bench.tokens["list"]


def main_parent(args: argparse.Namespace) -> int:
    os.environ["CPU_BENCH_TOKEN"] = asyncio.run(_token(args))
    cpu: dict[str, list[float]] = {a.key: [] for a in APPS}
    calls: dict[str, float] = {}
    print(f"load average before the run: {os.getloadavg()[0]:.2f} (near 0 on an idle machine)")
    for n in range(args.rounds):
        for app in APPS:
            result = _measure(args, app, count_calls=n == 0)
            cpu[app.key] += result["samples"]
            calls[app.key] = calls.get(app.key) or result["calls"]
        print(f"  round {n + 1} of {args.rounds}", flush=True)
    print(f"load average after the run: {os.getloadavg()[0]:.2f}")
    print(_table(cpu, calls))
    return 0


def _post(client: httpx.AsyncClient, path: str, body: str, headers: dict[str, str]) -> Any:
    return lambda: client.post(path, content=body, headers=headers)


def _table(cpu: dict[str, list[float]], calls: dict[str, float]) -> str:
    median = {key: statistics.median(samples) for key, samples in cpu.items()}
    lines = [f"{'variant':<20} {'CPU ms/request':>15} {'p10':>7} {'p90':>7} {'calls/request':>14}"]
    for key, samples in cpu.items():
        deciles = statistics.quantiles(samples, n=10)
        lines.append(
            f"{key:<20} {median[key]:>15.2f} {deciles[0]:>7.2f} {deciles[-1]:>7.2f} "
            f"{calls[key]:>14,.0f}"
        )
    sql = median["list-floor-sql"] / median["list"]
    static = median["list-floor-static"] / median["list"]
    lines += [
        "",
        f"list / SQL floor (inverse of CPU per request)     {sql:6.1%}",
        f"list / static floor (inverse of CPU per request)  {static:6.1%}   goal >= "
        f"{GOAL_STATIC:.0%}  {'PASS' if static >= GOAL_STATIC else 'BELOW'}",
    ]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.cpu_bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="default: DATABASE_URL, else the benchmark database of bench.generate",
    )
    parser.add_argument("--slug", default="bench", help="the tenant bench.generate made")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=40, help="per app and round")
    parser.add_argument("--warmup", type=int, default=20, help="requests per app before measuring")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--count-calls", action="store_true", help=argparse.SUPPRESS)
    return parser


def main() -> int:
    args = _parser().parse_args()
    return asyncio.run(child(args)) if args.child else main_parent(args)


if __name__ == "__main__":
    sys.exit(main())
