"""Load on a real `celprice` HTTP server: requests per second and p50/p99
latency of `POST /usage/cel/evaluate` and `GET /usage/breakdown`, against a
trivial Starlette JSON endpoint served by the same process, in the same run.

    python benchmarks/load_server.py                        # 16 connections, 5 s per endpoint
    python benchmarks/load_server.py --connections 1,16 --seconds 3
    python benchmarks/load_server.py --db postgresql://...  # the ledger on PostgreSQL
    python benchmarks/load_server.py --baseline /tmp/before/src  # and another checkout's server, interleaved

The server is uvicorn (one worker unless --workers, the rate limit off) on 127.0.0.1 in a
subprocess; the clients are one asyncio process of keep-alive HTTP/1.1
connections written by hand, so the client costs little next to the server.
Both share this machine's cores: the numbers are of this machine, at this
moment. Each endpoint runs for at most --seconds and --max-requests.

--baseline SRC starts a second server from another checkout's `src/` (say
`git archive COMMIT src | tar -x -C /tmp/before`) on a ledger of the same
tasks made by that checkout (a --db is shared, so it must be of a schema
version both know), and measures each endpoint on it right before the same
endpoint on this one: a before and after in one run, so that the machine's
load is shared alike.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SRC_ENV = "CELPRICE_LOAD_SRC"  # the celprice a server process imports (a baseline's, or this checkout's)
sys.path.insert(0, os.environ.get(SRC_ENV, str(ROOT / "src")))

from celprice.usage import Ledger  # noqa: E402
from celprice.usage.keys import KeyStore  # noqa: E402

# The store's usage-page example (D3), a typical preview.
EVALUATE = {
    "pricing": {
        "prices": {"per_image": 200000},
        "inference_expression": "image_count(output_meta.outputs) * prices.per_image",
    },
    "output_meta": {"inputs": [], "outputs": [{"type": "image", "count": 2}]},
    "usage_seconds": 45,
}
TASKS = 2000  # in the ledger the breakdown reads: a team's month
SERVER_ENV = "CELPRICE_LOAD_DB"


def app() -> Any:
    """The server's app (uvicorn factory): celprice's, plus the trivial endpoint to compare with."""
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from celprice.server import create_app
    from celprice.server.limits import ServerLimits

    async def trivial(request: Any) -> JSONResponse:
        return JSONResponse({"data": {"ok": True}, "messages": []})

    served = create_app(os.environ[SERVER_ENV], limits=ServerLimits(rate_limit=None))
    served.router.routes.append(Route("/trivial", trivial, methods=["GET"]))
    return served


def _fees(total: int) -> dict[str, Any]:
    values = {"resource_fee": total, "inference_fee": 0, "royalty_fee": 0, "partner_fee": 0, "total": total}
    return {**{name: {"value": value} for name, value in values.items()}, "description": {"value": ""}}


def prepare(db: str) -> str:
    """A ledger with TASKS tasks of team `t` over the last 30 days, and a key."""
    now = datetime.now(timezone.utc)
    with Ledger(db) as ledger:
        for n in range(TASKS):
            at = now - timedelta(minutes=21 * n + 1)
            app_endpoint = f"acme/app-{n % 12}"
            ledger.record_task("t", f"load-{n}", app_endpoint, at, _fees(1000 + n),
                               [{"tier": "cloud", "type": "gpu", "model": "A100", "seconds": 3}])
        return KeyStore(ledger).create("t", "load", ["billing:read"])[1]


def _env_for(src: Path) -> dict[str, str]:
    """What a process needs to run this script with the celprice of `src`."""
    return {SRC_ENV: str(src), "PYTHONPATH": os.pathsep.join([str(src), str(ROOT / "benchmarks")])}


def _prepare_with(src: Path, db: str) -> str:
    """prepare(db) by the celprice of `src`, in a process of its own; the key."""
    done = subprocess.run(
        [sys.executable, "-c", "import sys, load_server; print(load_server.prepare(sys.argv[1]))", db],
        env={**os.environ, **_env_for(src)}, cwd=str(ROOT / "benchmarks"), capture_output=True, text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"preparing the ledger {db} with {src} failed:\n{done.stderr}")
    return done.stdout.strip().splitlines()[-1]


def _request(method: str, path: str, key: str, body: bytes = b"") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return (head + "\r\n").encode() + body


async def _connection(port: int, request: bytes, stop_at: float, budget: list[int], latencies: list[float], statuses: dict[int, int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < stop_at and budget[0] > 0:
            budget[0] -= 1
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            status = int(head.split(b" ", 2)[1])
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def _run(port: int, request: bytes, connections: int, seconds: float, max_requests: int) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    budget = [max_requests]
    started = time.perf_counter()
    await asyncio.gather(*(
        _connection(port, request, started + seconds, budget, latencies, statuses) for _ in range(connections)
    ))
    elapsed = time.perf_counter() - started
    latencies.sort()

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": percentile(0.50),
        "p99_ms": percentile(0.99),
        "statuses": statuses,
    }


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and its children (uvicorn's
    workers), from /proc: what a request costs the server, whatever else
    loads the machine. 0.0 where there is no /proc."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    try:
        pids = [pid] + [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return 0.0
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_up(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not start within 60 s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="ledger URL (default: a SQLite file in a temporary directory)")
    parser.add_argument("--connections", default="16", help="comma-separated connection counts (default: 16)")
    parser.add_argument("--seconds", type=float, default=5.0, help="at most this long per endpoint and count (default: 5)")
    parser.add_argument("--max-requests", type=int, default=50_000, help="at most this many requests per run (default: 50000)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default: 1)")
    parser.add_argument("--baseline", metavar="SRC", help="also serve the celprice of this src/ directory, interleaved")
    parser.add_argument("--rounds", type=int, default=1, help="measure everything this many times; report medians (default: 1)")
    parser.add_argument("--baseline-http", default="auto", help="uvicorn's --http for the baseline server (default: auto)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)

    sources = {"this": ROOT / "src"}
    if args.baseline:
        sources = {"baseline": Path(args.baseline).resolve(), **sources}
    with tempfile.TemporaryDirectory() as tmp:
        # Each server its own ledger, made by its own celprice: a baseline
        # refuses a ledger of a schema version newer than it knows. --db is
        # shared, so with --baseline it must be of a version both know.
        if args.db:
            dbs = dict.fromkeys(sources, args.db)
            keys = dict.fromkeys(sources, _prepare_with(ROOT / "src", args.db))
        else:
            dbs = {label: f"sqlite:///{Path(tmp) / f'load-{label}.db'}" for label in sources}
            keys = {label: _prepare_with(src, dbs[label]) for label, src in sources.items()}
        ports: dict[str, int] = {}
        pids: dict[str, int] = {}
        servers: list[subprocess.Popen[bytes]] = []
        try:
            for label, src in sources.items():
                ports[label] = port = _free_port()
                env = {**os.environ, SERVER_ENV: dbs[label], **_env_for(src)}
                servers.append(subprocess.Popen(
                    [sys.executable, "-m", "uvicorn", "--factory", "load_server:app", "--host", "127.0.0.1",
                     "--port", str(port), "--no-access-log", "--log-level", "warning", "--workers", str(args.workers),
                     "--http", args.baseline_http if label == "baseline" else "auto"],
                    env=env, cwd=str(ROOT / "benchmarks"),
                ))
                pids[label] = servers[-1].pid
                _wait_up(port, servers[-1])
            endpoints = {
                name: {label: _request(method, path, keys[label], body) for label in sources}
                for name, (method, path, body) in {
                    "GET /trivial": ("GET", "/trivial", b""),
                    "POST /usage/cel/evaluate": ("POST", "/usage/cel/evaluate", json.dumps(EVALUATE).encode()),
                    "GET /usage/breakdown?range=30d": ("GET", "/usage/breakdown?range=30d", b""),
                }.items()
            }
            rounds: dict[str, list[dict[str, Any]]] = {}
            for _ in range(args.rounds):
                for connections in (int(c) for c in args.connections.split(",")):
                    for name, requests in endpoints.items():
                        for label, port in ports.items():
                            request = requests[label]
                            asyncio.run(_run(port, request, connections, 0.5, 500))  # warm up: caches, connections
                            cpu = _cpu_seconds(pids[label])
                            result = asyncio.run(_run(port, request, connections, args.seconds, args.max_requests))
                            result["cpu_ms_per_request"] = (_cpu_seconds(pids[label]) - cpu) * 1000 / max(result["requests"], 1)
                            bad = {s: n for s, n in result["statuses"].items() if s != 200}
                            if bad:
                                raise SystemExit(f"{label} {name}: answers other than 200: {bad}")
                            rounds.setdefault(f"{label} {name} @{connections}", []).append(result)
            # Each figure is the median of the rounds (on a loaded machine one round can be far off).
            results = {
                label: {
                    field: statistics.median(r[field] for r in measured)
                    for field in ("requests", "rps", "p50_ms", "p99_ms", "cpu_ms_per_request")
                }
                for label, measured in rounds.items()
            }
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=60)

    print(f"{'server':8} {'endpoint':34} {'conns':>5} {'requests':>9} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'x trivial':>9} {'cpu ms/req':>10}")
    for label, result in results.items():
        server_label, rest = label.split(" ", 1)
        name, connections = rest.rsplit(" @", 1)
        base = results[f"{server_label} GET /trivial @{connections}"]["rps"]
        print(f"{server_label:8} {name:34} {connections:>5} {result['requests']:>9.0f} {result['rps']:>8.0f} "
              f"{result['p50_ms']:>7.2f} {result['p99_ms']:>7.2f} {result['rps'] / base:>9.2f} {result['cpu_ms_per_request']:>10.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"medians": results, "rounds": rounds}, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
