"""The peer comparison of issue 19: django-helpdesk's tickets API (DRF), patched as
bench/peer/project/peerbench/patch.py says, under gunicorn with one worker process, listing one
page of tickets with wrk; printed as bench/http_bench.py prints its variants, with the compiled
Worklist's goal. Normally started by bench/peer/run.sh, which sets the peer up first.

    .venv/bin/python -m bench.peer.measure [--runs 3 --duration 8 --connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from bench import load, report
from bench.load import Load, Result
from bench.uvicorn_process import REPO, free_port, stop

GOAL = 50  # issue 19: the compiled Worklist at least 50x the peer's list on the same machine
_READY_SECONDS = 60.0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.peer.measure", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--peer-dir", type=Path, default=REPO / "var" / "peer")
    parser.add_argument("--venv", type=Path, default=REPO / "var" / "peer-venv")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per measured run")
    parser.add_argument(
        "--warmup", type=float, default=3.0, help="seconds of load before measuring"
    )
    parser.add_argument("--runs", type=int, default=3, help="rounds; medians are reported")
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="gunicorn threads in its one worker process (1: the sync worker; more: gthread)",
    )
    parser.add_argument(
        "--prefetch",
        action="store_true",
        help="also prefetch the nested follow-ups (PEER_PREFETCH=1): not the issue's peer",
    )
    return parser


def gunicorn_command(args: argparse.Namespace, port: int) -> list[str]:
    command = [
        str(args.venv / "bin" / "gunicorn"),
        "peer_site.wsgi:application",
        "--workers",
        "1",
        "--bind",
        f"127.0.0.1:{port}",
        "--backlog",
        "2048",
        "--log-level",
        "warning",
    ]
    if args.threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(args.threads)]
    return command


@asynccontextmanager
async def serving(args: argparse.Namespace) -> AsyncIterator[str]:
    """Yields the base URL once gunicorn answers; stops it by its own pid."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        *gunicorn_command(args, port),
        cwd=args.peer_dir,
        env=os.environ | {"PEER_PATCH": "1", "PEER_PREFETCH": "1" if args.prefetch else "0"},
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await stop(process)


async def smoke(url: str, token: str, page_size: int) -> int:
    """Waits for the server, then checks one answer is a full page; returns the ticket count (wrk
    only sees status codes)."""
    headers = {"Authorization": f"Token {token}"}
    async with httpx.AsyncClient(timeout=30) as client:
        for _ in range(int(_READY_SECONDS / 0.2)):
            try:
                response = await client.get(url, headers=headers)
                break
            except httpx.TransportError:
                await asyncio.sleep(0.2)
        else:
            raise SystemExit(f"{url} did not answer within {_READY_SECONDS:g}s")
    if response.status_code != 200:
        raise SystemExit(f"GET {url}: {response.status_code} {response.text[:300]}")
    body = response.json()
    if len(body["results"]) != page_size:
        raise SystemExit(f"GET {url}: {len(body['results'])} tickets, not {page_size}")
    return int(body["count"])


async def drain(url: str, token: str) -> None:
    """Waits until the server has answered everything the last run left queued: one request,
    answered after all those (a sync worker takes connections in order). wrk stops without
    waiting, and at ~110 ms a page the 32 requests still in flight keep the one worker busy for
    ~4 s: a fixed pause as in bench/http_bench.py leaves the next run measuring the last one's."""
    async with httpx.AsyncClient(timeout=120) as client:
        await client.get(url, headers={"Authorization": f"Token {token}"})


async def main_async(args: argparse.Namespace) -> int:
    token = (args.peer_dir / "token").read_text().strip()
    label = f"peer: django-helpdesk API, {args.page_size} tickets (patched)"
    if args.prefetch:
        label = label.replace("(patched)", "(patched + prefetch)")  # 58 columns: the table's
    print(
        f"load: {'wrk' if load.WRK else 'httpx closed loop (wrk not found)'}, "
        f"{args.connections} connections, {args.warmup:g}s warm-up, {args.runs} x "
        f"{args.duration:g}s; gunicorn, 1 worker process, "
        f"{'sync' if args.threads == 1 else f'gthread x {args.threads} threads'}"
    )
    print(f"load average before the run: {os.getloadavg()[0]:.2f} (near 0 on an idle machine)")
    runs: list[Result] = []
    async with serving(args) as base:
        url = f"{base}/helpdesk/api/tickets/?page_size={args.page_size}"
        count = await smoke(url, token, args.page_size)
        print(f"  GET {url}: {args.page_size} of {count:,} tickets", flush=True)
        probe = Load(url, token, method="GET", scheme="Token")
        await load.run(probe, args.connections, args.warmup)
        for n in range(args.runs):
            await drain(url, token)
            print(f"  round {n + 1} of {args.runs}", flush=True)
            result = await load.run(probe, args.connections, args.duration)
            runs.append(result)
            print(
                f"    {'peer':<24} {result.rps:8.1f} req/s  p50 {result.p50_ms:7.1f} ms  p95 "
                f"{result.p95_ms:7.1f} ms  p99 {result.p99_ms:7.1f} ms  p95/p50 "
                f"{report.spread(result):4.1f}x  {result.requests} answered",
                flush=True,
            )
    print(f"load average after the run: {os.getloadavg()[0]:.2f}")
    median = load.median(runs)
    print()
    print(report.table({"peer": label}, {"peer": median}))
    print()
    print(
        f"compiled Worklist goal (issue 19): >= {GOAL}x the peer's {median.rps:.1f} req/s = "
        f"{GOAL * median.rps:.0f} req/s on this machine"
    )
    print("  (compare: .venv/bin/python -m bench.http_bench --only list-compiled, same session)")
    return 0


def main() -> int:
    return asyncio.run(main_async(_parser().parse_args()))


if __name__ == "__main__":
    sys.exit(main())
