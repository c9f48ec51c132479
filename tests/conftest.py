"""Shared fixtures: the example schema and demo data (examples/), and helpers to run the CLI."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
DEMO_NOW = "2026-11-15T12:00:00Z"

settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci")


@pytest.fixture(scope="session")
def schema():
    import segql

    return segql.load_schema(EXAMPLES / "schema.yml")


@pytest.fixture(scope="session")
def demo_engine(schema):
    from segql.ops.run import open_engine

    engine = open_engine(None, schema)
    yield engine
    engine.close()


def run_cli(*args, cwd=None, input=None):
    """Run `python -m segql ...` as a user would; returns (exit code, stdout, stderr)."""
    proc = subprocess.run([sys.executable, "-m", "segql", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or ROOT, input=input, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr
