"""Shared helpers: interleaved timing with medians, machine facts, results files."""
from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
OUT = HERE / "out"
EXAMPLES = ROOT / "examples"
SCHEMA = EXAMPLES / "schema.yml"
NOW_ISO = "2026-11-15T12:00:00"  # every benchmark pins relative times (the demo data's pinned time)


def machine() -> dict:
    return {"nproc": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "date": dt.datetime.now().isoformat(timespec="seconds")}


def versions() -> dict:
    out = {}
    for mod in ("sqlglot", "lark", "duckdb"):
        try:
            out[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001
            out[mod] = None
    return out


def interleaved(funcs: dict, reps: int, *, warmup: int = 1) -> dict[str, list[float]]:
    """Run each function `reps` times, alternating between them (A B A B …) so that noise on a shared
    machine hits every contender alike. Returns the wall times (seconds) per name."""
    for _ in range(warmup):
        for f in funcs.values():
            f()
    times = {name: [] for name in funcs}
    order = list(funcs)
    for i in range(reps):
        # alternate the order too, so no contender always runs right after the same one
        for name in (order if i % 2 == 0 else order[::-1]):
            t0 = time.perf_counter()
            funcs[name]()
            times[name].append(time.perf_counter() - t0)
    return times


def ratio_of_medians(times: dict, num: str, den: str) -> float:
    return statistics.median(times[num]) / statistics.median(times[den])


def paired_ratios(times: dict, num: str, den: str) -> list[float]:
    return [a / b for a, b in zip(times[num], times[den])]


def summarize(times: dict) -> dict:
    return {k: {"median_s": statistics.median(v), "min_s": min(v), "max_s": max(v), "n": len(v)}
            for k, v in times.items()}


def run_cmd(cmd: list[str], **kw) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    return time.perf_counter() - t0


def save(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": name, "machine": machine(), "versions": versions(), **payload}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", "utf-8")
    print(f"-> {path.relative_to(ROOT)}")
    return path


def load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text("utf-8")) if path.exists() else None


def python() -> str:
    return sys.executable
