"""6. The HTTP service under load: `segql serve` on 127.0.0.1 (a subprocess, SQLite store, embedded DuckDB
over the demo data) and N concurrent clients for a bounded time, mixing reads, creates, live counts,
refreshes, validation and compilation. Records p50/p99 latency per kind and overall, errors (any 5xx,
any status other than the expected one) and throughput; each kind's p50 is also given as a ratio to
`GET /v1/whoami`'s p50 sampled in the same run (the floor: routing, key check, JSON; no segment work)."""
from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from common import ROOT, SCHEMA, save

MIX = [("read", 40), ("list", 10), ("members", 10), ("counts", 12), ("create", 8), ("refresh", 5),
       ("validate", 10), ("compile", 5)]


def percentile(values, p):
    values = sorted(values)
    if not values:
        return None
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


async def client(http, headers, slugs, stop_at, rng, out, errors):
    kinds = [k for k, w in MIX for _ in range(w)]
    n = 0
    while time.perf_counter() < stop_at:
        kind = rng.choice(kinds)
        slug = rng.choice(slugs)
        n += 1
        if kind == "read":
            req, expect = ("GET", f"/v1/segments/{slug}", None), 200
        elif kind == "list":
            req, expect = ("GET", "/v1/segments?sort=-member_count&limit=20", None), 200
        elif kind == "members":
            req, expect = ("GET", f"/v1/segments/{slug}/members?limit=50&columns=email", None), 200
        elif kind == "counts":
            req, expect = ("POST", "/v1/segments/counts", {"ids": rng.sample(slugs, 5)}), 200
        elif kind == "create":
            req = ("POST", "/v1/segments", {"name": f"load {id(out)} {rng.random()}", "object_type": "contacts",
                                            "criteria": f"lifetime_value > {rng.randint(0, 5000)}"})
            expect = 201
        elif kind == "refresh":
            req, expect = ("POST", f"/v1/segments/{slug}/refresh", None), (200, 409)
        elif kind == "validate":
            req, expect = ("POST", "/v1/validate", {"criteria": "contry = 'x'", "object_type": "contacts"}), 200
        else:
            req, expect = ("POST", "/v1/compile", {"criteria": f"opens >= {rng.randint(1, 9)}", "object_type":
                                                   "contacts", "dialect": rng.choice(["bigquery", "snowflake"])}), 200
        method, path, body = req
        t0 = time.perf_counter()
        try:
            r = await http.request(method, path, json=body, headers=headers)
            status = r.status_code
        except Exception as err:  # noqa: BLE001 - a transport error is an error of the run
            status = type(err).__name__
        out.setdefault(kind, []).append(time.perf_counter() - t0)
        ok = status in expect if isinstance(expect, tuple) else status == expect
        if not ok:
            errors.append((kind, status))


async def run_load(base, headers, slugs, clients, seconds, seed):
    import httpx

    # one connection more than clients: the whoami sampler must not wait for a client's connection to free up
    # (with `clients` connections its p50 measured the queue for one: 430-480 ms beside a 62 ms read p50)
    limits = httpx.Limits(max_connections=clients + 1, max_keepalive_connections=clients + 1)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
        out, errors = {}, []
        stop_at = time.perf_counter() + seconds
        floor = {}

        async def whoami():  # the baseline, sampled alongside the load
            while time.perf_counter() < stop_at:
                t0 = time.perf_counter()
                await http.get("/v1/whoami", headers=headers)
                floor.setdefault("whoami", []).append(time.perf_counter() - t0)
                await asyncio.sleep(0.2)

        t0 = time.perf_counter()
        await asyncio.gather(whoami(), *[client(http, headers, slugs, stop_at, random.Random(seed + i), out, errors)
                                          for i in range(clients)])
        return out, errors, floor, time.perf_counter() - t0


def main(args):
    sys.path.insert(0, str(ROOT / "src"))
    from segql.ops.store import open_store
    from segql.ops.store.keys import KeyStore

    work = tempfile.mkdtemp(prefix="segql-load-")
    store = f"sqlite:///{work}/store.db"
    raw, _ = KeyStore.open(store).create("org_load", ["read:segments", "write:segments"])
    segments = open_store(store, schema=str(SCHEMA))
    slugs = []
    for i, criteria in enumerate(['country = "USA"', "is_vip", "opens >= 5", "lifetime_value > 1000",
                                  'any deals (value >= 10000)', "clicks > 2 and opens > 3", 'customer_tier = "Gold"',
                                  "performed \"purchase\" at least 2 times", "order_count > 3", "cart_value > 0"]):
        seg = segments.create(name=f"seed {i}", criteria=criteria, object_type="contacts", organization="org_load")
        segments.refresh(seg.id, organization="org_load")
        slugs.append(seg.slug)
    segments.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "segql", "serve", "--schema", str(SCHEMA), "--store", store, "--port", str(port),
           "--workers", str(args.workers)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    log_path = os.path.join(work, "serve.log")  # the server's own log: a 5xx or a dropped connection says why
    log = open(log_path, "w", encoding="utf-8")  # noqa: SIM115 - closed after the server stops
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        for _ in range(300):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        headers = {"Authorization": f"Bearer {raw}"}
        out, errors, floor, elapsed = asyncio.run(run_load(base, headers, slugs, args.clients, args.seconds, 7))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        log.close()
    every = [t for v in out.values() for t in v]
    base_p50 = statistics.median(floor["whoami"]) if floor.get("whoami") else None
    kinds = {k: {"n": len(v), "p50_ms": round(percentile(v, 50) * 1000, 1), "p99_ms": round(percentile(v, 99) * 1000, 1),
                 "p50_vs_whoami": round(percentile(v, 50) / base_p50, 1) if base_p50 else None}
             for k, v in sorted(out.items())}
    result = {"clients": args.clients, "seconds": args.seconds, "workers": args.workers, "requests": len(every),
              "throughput_rps": round(len(every) / elapsed, 1), "errors": len(errors),
              "error_kinds": sorted({f"{k}:{s}" for k, s in errors}),
              "p50_ms": round(percentile(every, 50) * 1000, 1), "p99_ms": round(percentile(every, 99) * 1000, 1),
              "whoami_p50_ms": round(base_p50 * 1000, 1) if base_p50 else None, "kinds": kinds}
    print(f"{result['requests']} requests in {elapsed:.0f}s from {args.clients} clients ({result['throughput_rps']}/s), "
          f"{result['errors']} errors; p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms "
          f"(whoami p50 {result['whoami_p50_ms']} ms)")
    for k, v in kinds.items():
        print(f"  {k:9} n={v['n']:5}  p50 {v['p50_ms']:8} ms  p99 {v['p99_ms']:8} ms  p50/whoami {v['p50_vs_whoami']}")
    if errors:
        with open(log_path, encoding="utf-8") as f:
            problems = [line.rstrip() for line in f if "error" in line.lower() or "Traceback" in line]
        print(f"server log {log_path}: {len(problems)} error line(s)" + "".join(f"\n  {p}" for p in problems[-10:]))
    save("service", result)
