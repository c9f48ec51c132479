"""How much of the slow, sampled tests a run does: CI runs a fixed slice (the whole suite must stay under
six minutes on two cores); `SEGQL_TEST_FULL=1` runs all of it (every segment in Spark's counts, every
hypothesis example) — before a release, or after changing the lowering."""
from __future__ import annotations

import os

FULL = os.environ.get("SEGQL_TEST_FULL", "") not in ("", "0")


def examples(n: int) -> int:
    """Hypothesis examples: `n` in a full run, half of it (derandomized, so always the same half) in CI."""
    return n if FULL else max(10, n // 2)


def sample(names, every: int = 2) -> list:
    """A fixed, deterministic share of `names` (sorted; every `every`-th) — all of them in a full run."""
    ordered = sorted(names)
    return ordered if FULL else ordered[::every]
