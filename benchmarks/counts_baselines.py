"""Baselines for `run.py counts` besides the 50 separate queries (issue "Performance", item 3):

- `floor_sql`: the SCAN FLOOR — one statement reading, once, every column the segments' counts statement
  reads (found in segql's own statement, so it always matches the segment list): `MAX(col)` per column
  (`BOOL_OR` for booleans) of each table, the per-table aggregates cross-joined. No engine answers a
  counts statement without at least this much work.
- `hand_sql`: a strong HAND-WRITTEN one-pass query for benchmarks/segments/fifty.segql, in the style an
  analyst fluent in SQL would write it: contacts LEFT JOIN organizations and the events and deals each
  pre-aggregated ONCE with `COUNT(*) FILTER (WHERE …)` (events restricted to the names and the widest
  window any segment needs), `COUNT(*) FILTER (WHERE …)` per segment, `ILIKE` for `contains`. Written per
  segment pattern (the generator's eleven shapes), so the same text runs on DuckDB and PostgreSQL.
"""
from __future__ import annotations

import re

from sqlglot import exp


def floor_sql(tree: exp.Select, schema, dialect: str) -> str:
    """Scan every column `tree` (a counts statement) reads, once per table, in one statement."""
    tables: dict[str, str] = {}  # alias -> table
    for t in tree.find_all(exp.Table):
        tables[t.alias_or_name] = t.name
    cols: dict[str, dict[str, None]] = {}
    for c in tree.find_all(exp.Column):
        if c.table in tables:
            cols.setdefault(tables[c.table], {})[c.name] = None
    types = {}
    for ent in schema.entities.values():
        types[ent.table] = {name: p.type for name, p in ent.properties.items()}
    parts = []
    for i, (table, names) in enumerate(sorted(cols.items())):
        aggs = []
        for j, name in enumerate(names):
            col = exp.column(exp.to_identifier(name, quoted=True))
            agg = exp.LogicalOr(this=col) if types.get(table, {}).get(name) == "boolean" else exp.Max(this=col)
            aggs.append(exp.alias_(agg, f"m{i}_{j}"))
        sub = exp.select(*aggs).from_(exp.to_table(table, quoted=True))
        parts.append(sub.subquery(f"p{i}"))
    q = exp.select("*").from_(parts[0])
    for p in parts[1:]:
        q = q.join(p, join_type="cross")
    return q.sql(dialect=dialect)


NOW = "TIMESTAMP '2026-11-15 12:00:00'"
TODAY = "DATE '2026-11-15'"

_PATTERNS = [
    (r'country = "(\w+)" and opens >= (\d+)', lambda m: f"c.country = '{m[1]}' AND c.opens >= {m[2]}"),
    (r'customer_tier in \("(\w+)", "(\w+)"\) and lifetime_value > (\d+)',
     lambda m: f"c.customer_tier IN ('{m[1]}', '{m[2]}') AND c.lifetime_value > {m[3]}"),
    (r'last_activity > (\d+) days ago and subscription_status = "Active"',
     lambda m: f"c.last_activity < {NOW} - INTERVAL '{m[1]} days' AND c.subscription_status = 'Active'"),
    (r'signup_date in last (\d+) days or is_vip',
     lambda m: f"(c.signup_date > {TODAY} - {m[1]} AND c.signup_date <= {TODAY}) OR c.is_vip"),
    (r'clicks between (\d+) and (\d+) and email contains "(\w+)"',
     lambda m: f"c.clicks BETWEEN {m[1]} AND {m[2]} AND c.email ILIKE '%{m[3]}%'"),
    (r'organization.industry = "(\w+)" and organization.employees >= (\d+)',
     lambda m: f"o.industry = '{m[1]}' AND o.employees >= {m[2]}"),
    (r'any deals \(stage = "(\w+)" and value >= (\d+)\)', lambda m: ("deal", f"stage = '{m[1]}' AND value >= {m[2]}", "> 0")),
    (r'no deals \(stage = "(\w+)"\) and any deals', lambda m: ("nodeal", f"stage = '{m[1]}'")),
    (r'performed "(\w+)" at least (\d+) times in last (\d+) days',
     lambda m: ("event", m[1], int(m[3]), f">= {m[2]}")),
    (r'did not perform "(\w+)" in last (\d+) days and opens > (\d+)', lambda m: ("noevent", m[1], int(m[2]), m[3])),
    (r'count\(deals\) >= (\d+) or sum\(deals.value\) > (\d+)',
     lambda m: f"COALESCE(d.n, 0) >= {m[1]} OR COALESCE(d.total, 0) > {m[2]}"),
]


def hand_sql(segql_text: str) -> str:
    """The hand-written one-pass query for the generated fifty segments (one `c<i>` column each)."""
    deal_aggs: dict[str, str] = {}
    event_aggs: dict[tuple, str] = {}
    names: set[str] = set()
    widest = 0
    out = []
    for i, line in enumerate(re.findall(r"segment s\d+ on contacts where (.*)", segql_text)):
        for pat, make in _PATTERNS:
            m = re.fullmatch(pat, line)
            if m:
                break
        else:
            raise ValueError(f"no hand-written form for: {line}")
        r = make(m)
        if isinstance(r, tuple) and r[0] in ("deal", "nodeal"):
            col = deal_aggs.setdefault(r[1], f"d{len(deal_aggs)}")
            r = (f"COALESCE(d.{col}, 0) > 0" if r[0] == "deal"
                 else f"COALESCE(d.{col}, 0) = 0 AND COALESCE(d.n, 0) > 0")
        elif isinstance(r, tuple):
            kind, name, days = r[0], r[1], r[2]
            names.add(name)
            widest = max(widest, days)
            col = event_aggs.setdefault((name, days), f"e{len(event_aggs)}")
            r = (f"COALESCE(e.{col}, 0) {r[3]}" if kind == "event"
                 else f"COALESCE(e.{col}, 0) = 0 AND c.opens > {r[3]}")
        out.append(f"COUNT(*) FILTER (WHERE {r}) AS c{i}")
    deals = ", ".join(f"COUNT(*) FILTER (WHERE {cond}) AS {col}" for cond, col in deal_aggs.items())
    events = ", ".join(f"COUNT(*) FILTER (WHERE name = '{name}' AND occurred_at >= {NOW} - INTERVAL '{days} days') "
                       f"AS {col}" for (name, days), col in event_aggs.items())
    name_list = ", ".join(f"'{n}'" for n in sorted(names))
    return (f"SELECT {', '.join(out)}\nFROM contacts c\nLEFT JOIN organizations o ON o.id = c.organization_id\n"
            f"LEFT JOIN (SELECT contact_id, COUNT(*) AS n, SUM(value) AS total, {deals} FROM deals "
            f"GROUP BY contact_id) d ON d.contact_id = c.id\n"
            f"LEFT JOIN (SELECT contact_id, {events} FROM events WHERE name IN ({name_list}) AND occurred_at >= "
            f"{NOW} - INTERVAL '{widest} days' AND occurred_at <= {NOW} GROUP BY contact_id) e ON e.contact_id = c.id")
