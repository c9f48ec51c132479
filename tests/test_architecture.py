"""The layout the docs promise (docs/adding-a-dialect.md): a dialect is one module, an engine is one
module, and each registered dialect has its golden SQL and its row in docs/dialects.md."""
from __future__ import annotations

import importlib
import pkgutil
import re
import subprocess
import sys

import pytest
from conftest import ROOT, run_cli

import segql.engines as engines
import segql.lower.dialects as dialects
from segql.errors import SegqlError
from segql.lower.dialects.base import REGISTRY, Ops

ENGINE_SHARED = {"base"}


def _dialect_rows() -> set[str]:
    """Dialect names in the first column of the table under '## The dialects' in docs/dialects.md."""
    text = (ROOT / "docs" / "dialects.md").read_text("utf-8")
    section = text.split("## The dialects", 1)[1]
    table = section[section.index("\n|"):].split("\n\n", 1)[0]  # the first table after the heading
    return set(re.findall(r"^\| `?([a-z]+)`? \|", table, re.M)) - {"dialect"}


def test_every_dialect_module_registers_exactly_one_dialect():
    modules = dialects.dialect_modules()
    assert modules, "no dialect modules found"
    for name in modules:
        mod = importlib.import_module(f"segql.lower.dialects.{name}")
        defined = [c for c in vars(mod).values()
                   if isinstance(c, type) and issubclass(c, Ops) and c.__module__ == mod.__name__]
        registered = [c for c in defined if REGISTRY.get(c.name) is c]
        assert len(registered) == 1, f"{name}.py registers {[c.name for c in registered]}"
        assert registered[0].name == name, f"{name}.py registers the dialect {registered[0].name!r}"


def test_registry_is_the_dialect_list():
    assert set(dialects.DIALECTS) == set(REGISTRY) == set(dialects.dialect_modules())
    assert set(dialects.VERIFIED) <= set(dialects.DIALECTS)
    assert len(set(REGISTRY[d].order for d in dialects.DIALECTS)) == len(dialects.DIALECTS), "orders are unique"


def test_every_dialect_has_a_golden_file_and_a_docs_row():
    rows = _dialect_rows()
    for d in dialects.DIALECTS:
        assert (ROOT / "tests" / "golden" / "sql" / f"{d}.sql").is_file(), f"no tests/golden/sql/{d}.sql"
        assert d in rows, f"no row for {d} in the dialect table of docs/dialects.md"
    assert rows <= set(dialects.DIALECTS), f"docs/dialects.md lists unknown dialects {rows - set(dialects.DIALECTS)}"


def test_every_engine_module_declares_a_registered_dialect():
    names = [m.name for m in pkgutil.iter_modules(engines.__path__) if m.name not in ENGINE_SHARED]
    assert names
    for name in names:
        mod = importlib.import_module(f"segql.engines.{name}")
        classes = [c for c in vars(mod).values() if isinstance(c, type) and issubclass(c, engines.Engine)
                   and c.__module__ == mod.__name__ and c.__dict__.get("schemes")]
        assert len(classes) == 1, f"engines/{name}.py defines {classes}"
        cls = classes[0]
        assert cls.dialect in dialects.DIALECTS, f"engines/{name}.py declares unknown dialect {cls.dialect!r}"
        assert set(cls.state_types) == {"text", "timestamp", "int"}
        for scheme in cls.schemes:
            assert engines.SCHEMES[scheme] is cls
            assert engines.dialect_for_url(f"{scheme}://x") == cls.dialect


def test_dialect_modules_load_lazily():
    """Asking for one dialect imports its module (and its parents') only."""
    code = ("import sys; from segql.lower.dialects import get_ops; get_ops('redshift'); "
            "print(sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('segql.lower.dialects.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['base', 'postgres', 'redshift']"


@pytest.mark.parametrize("alias,name", [("postgresql", "postgres"), ("POSTGRES", "postgres")])
def test_alias(alias, name):
    assert dialects.get_ops(alias) is dialects.get_ops(name)


def test_cli_accepts_dialect_alias():
    code, out, err = run_cli("compile", "examples/segments/spec_example.segql", "--schema", "examples/schema.yml",
                             "--segment", "spec_high_value_prospects", "--dialect", "postgresql", "--now", "2026-11-15T12:00:00Z")
    code2, out2, _ = run_cli("compile", "examples/segments/spec_example.segql", "--schema", "examples/schema.yml",
                             "--segment", "spec_high_value_prospects", "--dialect", "postgres", "--now", "2026-11-15T12:00:00Z")
    assert code == 0, err
    assert out == out2 and out.strip()


def test_unknown_dialect_is_e0500():
    with pytest.raises(SegqlError) as ei:
        dialects.get_ops("base")
    assert ei.value.code == "E0500"


def test_cli_unknown_dialect_is_a_usage_error():
    """SPEC §3: bad command-line usage exits 2 — an unknown `--dialect` is one (E0500 with the list)."""
    code, out, err = run_cli("compile", "examples/segments/spec_example.segql", "--schema", "examples/schema.yml",
                             "--segment", "spec_high_value_prospects", "--dialect", "postgress")
    assert code == 2 and not out, err
    assert "error[E0500]" in err and "postgres" in err and "Traceback" not in err
