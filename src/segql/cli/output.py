"""Everything the CLI prints: diagnostics, aligned tables, member rows (text, JSON, CSV)."""
from __future__ import annotations

import csv
import sys
from decimal import Decimal

from segql.errors import render as diagnostics
from segql.jsontext import as_text, to_json


def emit_errors(errors, fmt: str, *, warnings=()) -> None:
    """Diagnostics on stderr for people; one JSON list on stdout for tools."""
    if fmt == "json":
        items = [diagnostics.to_json(e) for e in errors] + [diagnostics.to_json(w, severity="warning")
                                                            for w in warnings]
        print(diagnostics.dumps(items))
        return
    for w in warnings:
        print(diagnostics.render(w, severity="warning"), file=sys.stderr)
    for e in errors:
        print(diagnostics.render(e), file=sys.stderr)


def plain(v):
    """A database value as JSON/CSV can hold it (a Decimal stays one: `to_json` writes it exactly); a value
    of another type is its text (a PostgreSQL or DuckDB `uuid` column read as a string property)."""
    if v is None or isinstance(v, (str, int, float, Decimal)):
        return v
    return as_text(v)


def jsonable(params):
    """Bind parameters as JSON values (for `to_json`)."""
    if isinstance(params, dict):
        return {k: plain(v) for k, v in params.items()}
    return [plain(v) for v in params]


def dump_json(value, *, indent: int | None = 2) -> None:
    print(to_json(value, indent=indent))


def table(header, rows, right=(), out=None) -> None:
    """An aligned text table; columns whose index is in `right` are right-aligned."""
    out = out or sys.stdout
    cells = [[str(c) for c in r] for r in rows]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(header)]

    def line(values):
        return "  ".join(v.rjust(w) if i in right else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths)))

    out.write(line(header).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for c in cells:
        out.write(line(c).rstrip() + "\n")


def write_rows(header, rows, fmt, out=None) -> None:
    """Member rows as a table (with a count), JSON objects or CSV."""
    out = out or sys.stdout
    if fmt == "json":
        out.write(to_json([dict(zip(header, map(plain, r))) for r in rows]) + "\n")
        return
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([[("" if v is None else plain(v)) for v in r] for r in rows])
        return
    table(header, [[("" if v is None else str(plain(v))) for v in r] for r in rows], out=out)
    out.write(f"({len(rows)} member{'s' if len(rows) != 1 else ''})\n")


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"
