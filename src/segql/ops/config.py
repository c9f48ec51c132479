"""The project's config file: defaults for `schema`, `db`, `store` and `dialect` (SPEC §3).

`segql.toml` in the current directory or the nearest parent, else `[tool.segql]` of the nearest
`pyproject.toml` (the first of the two found walking up; a pyproject.toml without `[tool.segql]` is
passed over). Flags on the command line win over the file. A relative `schema` path, and the path of a
`sqlite:///`/`duckdb:///` URL, are relative to the file's folder, so commands work from any subfolder.

    schema = "segments/schema.yml"
    db = "postgresql://warehouse/analytics"
    store = "sqlite:///segql.db"
    dialect = "postgres"
"""
from __future__ import annotations

import re
from pathlib import Path

from segql.errors import SegqlError, Span

KEYS = ("schema", "db", "store", "dialect")


def find_config(start: Path | None = None) -> tuple[Path, str] | None:
    """(path, "segql.toml" | "pyproject") of the config file that applies, or None."""
    folder = (start or Path.cwd()).resolve()
    for d in (folder, *folder.parents):
        if (d / "segql.toml").is_file():
            return d / "segql.toml", "segql.toml"
        py = d / "pyproject.toml"
        if py.is_file() and re.search(r"^\s*\[\s*tool\.segql\b", py.read_text("utf-8", "replace"), re.MULTILINE):
            return py, "pyproject"
    return None


def _local(url: str, base: Path) -> str:
    for scheme in ("sqlite:///", "duckdb:///"):
        if url.startswith(scheme) and not url.startswith(scheme + "/") and len(url) > len(scheme):
            return scheme + str(base / url[len(scheme):])
    return url


def load_config(start: Path | None = None) -> dict:
    """The defaults the config file sets (`{}` without one); E0811 for a bad file."""
    found = find_config(start)
    if found is None:
        return {}
    path, kind = found
    text = path.read_text("utf-8", "replace")
    import tomllib  # only when there is a file to read (start-up time)

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        where = re.search(r"line (\d+), column (\d+)", str(err))
        line, col = (int(where.group(1)), int(where.group(2))) if where else (0, 0)
        raise SegqlError("E0811", f"{path.name} is not valid TOML: {str(err).split(' (at')[0]}",
                         Span(line, col, line, col + 1), path=str(path), source=text) from None
    table = data.get("tool", {}).get("segql", {}) if kind == "pyproject" else data
    out = {}
    for key, value in table.items():
        if key not in KEYS:
            raise SegqlError("E0811", f"unknown key {key!r} in {path.name}", _line_of(text, key),
                             [f"keys: {', '.join(KEYS)}"], path=str(path), source=text)
        if not isinstance(value, str) or not value:
            raise SegqlError("E0811", f"{key} in {path.name} must be a non-empty string", _line_of(text, key),
                             path=str(path), source=text)
        out[key] = value
    base = path.parent
    if "schema" in out and not Path(out["schema"]).is_absolute():
        out["schema"] = str(base / out["schema"])
    for key in ("db", "store"):
        if key in out:
            out[key] = _local(out[key], base)
    out["_path"] = str(path)
    return out


def _line_of(text: str, key: str) -> Span:
    for n, line in enumerate(text.splitlines(), 1):
        m = re.match(rf"\s*{re.escape(key)}\s*=", line)
        if m:
            col = line.index(key) + 1
            return Span(n, col, n, col + len(key))
    return Span()
