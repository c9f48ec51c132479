"""`segql explain FILE --segment S [--db URL] [--now ISO]`: records passing each condition (a funnel)."""
from __future__ import annotations

from segql.cli.common import add_common, add_engine, find_schema, query_timeout
from segql.cli.output import dump_json


def add(sub) -> None:
    p = sub.add_parser("explain", help="how many records pass each condition of a segment",
                       description="Show a segment's condition tree with, for each node, how many records "
                       "pass it, and for each `and` the funnel of its prefixes — computed in one query.")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--segment", help="which segment, when the file defines several")
    add_engine(p)
    add_common(p)
    p.set_defaults(handler=run)


def run(args) -> int:
    from segql.ops.explain import explain  # lazy: start-up time
    from segql.ops.load import load_one
    from segql.ops.run import open_engine

    schema = find_schema(args.schema, [args.file])
    item = load_one(args.file, schema, args.segment)
    with open_engine(args.db, schema, timeout=query_timeout(args)) as engine:
        result = explain(item.segment, item.definition, schema, engine, now=args.now)
    if args.format == "json":
        dump_json(result)
    else:
        print(render_text(result))
    return 0


def render_text(result: dict) -> str:
    """An indented tree: records passing each node, and for the items of an `and` the funnel (records
    passing all items so far)."""
    total = result["records"]
    head = (f"{result['segment']} on {result['entity']}: {result['members']} of {total} record"
            f"{'s' if total != 1 else ''} {'are in the list' if result['kind'] == 'list' else 'are members'}")
    if result["tree"] is None:
        return head
    rows: list[tuple[str, str, str]] = []

    def pct(n):
        return f"{100 * n / total:.0f}%" if total else "-"

    def visit(node, depth, funnel):
        label = node["condition"] if node["kind"] == "condition" else node["kind"]
        if node["kind"] == "not" and node["children"][0]["kind"] == "condition":
            label = "not"
        rows.append((f"{node['records']} ({pct(node['records'])})", "" if funnel is None else f"→ {funnel}",
                     "  " * depth + label))
        fun = [f["records"] for f in node.get("funnel", [])] or [None] * len(node.get("children", []))
        for child, f in zip(node.get("children", []), fun):
            visit(child, depth + 1, f)

    visit(result["tree"], 0, None)
    w0 = max(len("passing"), *(len(r[0]) for r in rows))
    w1 = max(len("funnel"), *(len(r[1]) for r in rows))
    lines = [head, "", f"{'passing'.rjust(w0)}  {'funnel'.ljust(w1)}  condition"]
    lines += [f"{a.rjust(w0)}  {b.ljust(w1)}  {c}" for a, b, c in rows]
    lines.append("")
    lines.append("passing: records meeting that condition on its own; funnel: records meeting it and every "
                 "earlier item of its `and`.")
    return "\n".join(lines)
