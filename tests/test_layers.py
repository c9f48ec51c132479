"""The layers of docs/architecture.md: every import inside src/segql points to the same layer or one below,
and there is no import circle."""
from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
RANK = {  # docs/architecture.md, top to bottom
    "cli": 7, "__main__": 7, "api": 6, "__init__": 6, "ops": 5,
    "lower": 4, "targets": 4, "engines": 4,
    "semantic": 3, "syntax": 2, "frontends": 2,
    "schema": 1, "ir": 1, "errors": 0, "clock": 0, "limits": 0, "text": 0, "files": 0, "jsontext": 0,
    "codecache": 0,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    parts = module.split(".")
    return RANK["__init__"] if len(parts) == 1 else RANK[parts[1]]


def imports() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in (SRC / "segql").rglob("*.py")}
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    pkg = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(pkg + ([node.module] if node.module else []))
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            for t in targets:
                while t and t not in modules:
                    t = t.rpartition(".")[0]
                if t and t != name and t != "segql":
                    edges[name].add(t)
    return edges


def test_every_module_has_a_layer():
    for name in imports():
        layer(name)  # KeyError: add the new folder to RANK and to docs/architecture.md


def test_imports_point_down():
    upward = [f"{m} ({layer(m)}) imports {t} ({layer(t)})" for m, ts in imports().items() for t in ts
              if layer(t) > layer(m)]
    assert upward == []


def test_no_import_circles():
    edges = imports()
    seen: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(m, path):
        seen[m] = 1
        for t in sorted(edges[m]):
            assert seen.get(t) != 1, "import circle: " + " → ".join(path + [t])
            if t not in seen:
                visit(t, path + [t])
        seen[m] = 2

    for m in sorted(edges):
        if m not in seen:
            visit(m, [m])
