"""Member counts of many segments at once, and their pairwise overlap — ONE statement per entity however
many segments there are (the batch driver in `segql.lower.batch`). See docs/operations.md.

    counts(loaded, schema, engine, now=None)   # [{"segment", "entity", "members"}]
    overlap(loaded, schema, engine)            # per entity: sizes and |A ∩ B|
"""
from __future__ import annotations

from segql.lower.batch import (
    correlated_in_aggregate,
    count_query,
    flag_query,
    run_one_row,
)
from segql.lower.dialects import get_ops
from segql.ops.load import Loaded, by_entity
from segql.ops.run import count_members


def counts_sql(loaded: list[Loaded], schema, dialect: str, now=None) -> dict[str, str]:
    """The statements `counts` runs: one per entity, counting all of its segments."""
    return {entity: count_query(schema, dialect, entity, [i.segment for i in items], now).sql(
        dialect=dialect, pretty=True, copy=False) for entity, items in by_entity(loaded).items()}


def counts(loaded: list[Loaded], schema, engine, now=None, *, memory_limit: str | None = None) -> list[dict]:
    """Member counts of every segment (and static list: its members that exist as records), in input
    order: `[{"segment": slug, "entity": name, "members": n}]`. One statement per entity; on DuckDB it runs
    within `memory_limit` (`auto`: 50 MB per thread; a size such as `1GB`; None, the default: the session's
    own limit), spilling to DuckDB's temp_directory beyond it (docs/operations.md). The CLI passes `auto`;
    the API does not, as the setting is global to a DuckDB database that other threads may be using."""
    result: dict[str, int] = {}
    batched = get_ops(engine.dialect).correlated_in_aggregates
    for entity, items in by_entity(loaded).items():
        # ClickHouse: a segment whose batch lowering keeps a correlated subquery inside COUNT(CASE …)
        # (a to-many condition reading the outer record, `org in segment x`'s EXISTS) is counted alone
        alone = [] if batched else [i for i in items if correlated_in_aggregate(
            count_query(schema, engine.dialect, entity, [i.segment], now))]
        items = [i for i in items if not any(i is a for a in alone)]
        if items:
            row = run_one_row(engine, count_query(schema, engine.dialect, entity, [i.segment for i in items], now),
                              memory_limit)
            for i, item in enumerate(items):
                result[item.slug] = row[f"c{i}"]
        for item in alone:  # ClickHouse: a correlated to-many condition runs as `run --count` runs it
            result[item.slug] = int(count_members(item.segment, schema, engine, now=now))
    return [{"segment": i.slug, "entity": i.segment.entity, "members": result[i.slug]} for i in loaded]


def overlap(loaded: list[Loaded], schema, engine, now=None) -> list[dict]:
    """Per entity: its record count, each segment's size and |A ∩ B| for every pair, from one statement
    per entity. `[{"entity", "records", "segments": [slug…], "sizes": {slug: n},
    "matrix": [[|A∩B|…]…]}]` (the diagonal holds the sizes)."""
    out = []
    for entity, items in by_entity(loaded).items():
        n = len(items)
        combos, where = [], {}
        for a in range(n):
            for b in range(a, n):
                where[(a, b)] = len(combos)
                combos.append(("flag", a) if a == b else ("and", [("flag", a), ("flag", b)]))
        row = run_one_row(engine, flag_query(schema, engine.dialect, entity, [i.segment for i in items], combos,
                                             now))
        matrix = [[row[f"n{where[(min(a, b), max(a, b))]}"] for b in range(n)] for a in range(n)]
        out.append({"entity": entity, "records": row["total"], "segments": [i.slug for i in items],
                    "sizes": {i.slug: matrix[k][k] for k, i in enumerate(items)}, "matrix": matrix})
    return out
