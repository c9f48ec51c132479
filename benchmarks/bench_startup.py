"""2. CLI start-up: wall time of `segql compile one.segql --dialect postgres` vs the floor segql cannot go
below — importing what it needs and one dialect:
`python -c "import sqlglot, lark, yaml; from sqlglot.dialects import postgres"`. Target: <= 1.1x.

Both run through the same interpreter, interleaved, median of --reps paired ratios. segql runs as its
console script runs it (`segql.cli:entry`, the script pip writes; the venv's own script may come from
another checkout). Two environments:
- `bytecode`: PYTHONDONTWRITEBYTECODE unset, after a warm-up run, so segql's modules load from __pycache__
  like any installed wheel's (the dependencies in site-packages always have theirs);
- `as_is`: the caller's environment (this project's sandbox sets PYTHONDONTWRITEBYTECODE=1, so segql's own
  modules are recompiled from source on every start — not what a user sees).
With --callgrind, also the instructions of each command under valgrind (load-independent).
"""
from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile

from common import HERE, OUT, SCHEMA, interleaved, paired_ratios, save

ONE = HERE / "segments" / "one.segql"
FLOOR = "import sqlglot, lark, yaml; from sqlglot.dialects import postgres"
SCRIPT = """import re
import sys
from segql.cli import entry
if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])
    sys.exit(entry())
"""


def segql_cmd() -> list[str]:
    """The console script as pip writes it for `segql = "segql.cli:entry"`."""
    OUT.mkdir(parents=True, exist_ok=True)
    script = OUT / "segql_console_script.py"
    script.write_text(SCRIPT, "utf-8")
    return [sys.executable, str(script)]


def commands():
    base = [sys.executable, "-c", FLOOR]
    seg = segql_cmd() + ["compile", str(ONE), "--schema", str(SCHEMA), "--dialect", "postgres"]
    return base, seg


def instructions(cmd, env) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg.out")
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *cmd], env=env, check=True,
                       capture_output=True)
        with open(out, encoding="utf-8") as f:
            return int(re.search(r"^(?:summary|totals): (\d+)", f.read(), re.MULTILINE).group(1))


def _runner(cmd, env):
    def run():
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return run


def measure(env, reps: int) -> dict:
    base, seg = commands()
    times = interleaved({"segql": _runner(seg, env), "baseline": _runner(base, env)}, reps, warmup=2)
    ratio = statistics.median(paired_ratios(times, "segql", "baseline"))
    return {"segql_ms": statistics.median(times["segql"]) * 1000,
            "baseline_ms": statistics.median(times["baseline"]) * 1000, "ratio": ratio}


def importtime(env, top: int = 25) -> list[tuple[int, int, str]]:
    _, seg = commands()
    proc = subprocess.run([sys.executable, "-X", "importtime", *seg[1:]], env=env, capture_output=True, text=True,
                          check=False)
    rows = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            rows.append((int(m.group(1)), int(m.group(2)), m.group(4)))
    return sorted(rows, key=lambda r: -r[0])[:top]


def lark_cache_check(env) -> dict:
    code = ("import time; t = time.perf_counter(); from segql.syntax import parser as p; "
            "t1 = time.perf_counter(); p._FastParser(p.load_tables()); t2 = time.perf_counter(); "
            "print((t2 - t1) * 1000, p.tables_name())")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    ms, _, name = out.stdout.strip().partition(" ")
    return {"parser_tables_load_ms": float(ms), "tables": name}


def main(args) -> None:
    bytecode_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(commands()[1], env=bytecode_env, capture_output=True, check=True)  # writes __pycache__
    results = {}
    for name, env in (("bytecode", bytecode_env), ("as_is", dict(os.environ))):
        r = measure(env, args.reps)
        results[name] = r
        print(f"start-up [{name}]: segql compile {r['segql_ms']:.0f} ms vs the floor ({FLOOR}) "
              f"{r['baseline_ms']:.0f} ms -> {r['ratio']:.2f}x (target <= 1.1x)")
    if args.callgrind:
        base, seg = commands()
        ins = {"segql": instructions(seg, bytecode_env), "floor": instructions(base, bytecode_env)}
        ins["ratio"] = ins["segql"] / ins["floor"]
        results["callgrind"] = ins
        print(f"start-up [callgrind]: {ins['segql'] / 1e6:.0f} M vs {ins['floor'] / 1e6:.0f} M instructions "
              f"-> {ins['ratio']:.2f}x")
    lark = lark_cache_check(bytecode_env)
    print(f"parser tables load in a fresh process: {lark['parser_tables_load_ms']:.1f} ms ({lark['tables']})")
    top = importtime(bytecode_env)
    if args.importtime:
        print("slowest imports (self us, cumulative us):")
        for self_us, cum_us, name in top:
            print(f"  {self_us:7} {cum_us:8}  {name}")
    ratio = results["callgrind"]["ratio"] if "callgrind" in results else results["bytecode"]["ratio"]
    save("startup", {"command": " ".join(commands()[1]), "baseline": " ".join(commands()[0]), **results,
                     "parser": lark, "importtime_top": top, "ratio": ratio, "target": 1.1, "met": ratio <= 1.1,
                     "reproduce": "python benchmarks/run.py startup" + (" --callgrind" if args.callgrind else "")})
